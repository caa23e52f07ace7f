// The store: SQL only. Everything else reaches the database through these functions.
export { type Db, openPglite, openPostgres, type Queryable, type Tx } from "./db.ts";
export { migrate } from "./migrate.ts";
export * from "./memberships.ts";
export * from "./resources.ts";
export { openStore } from "./open.ts";
