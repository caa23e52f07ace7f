// The store: SQL only. Everything else reaches the database through these functions.

export * from "./audit.ts";
export * from "./audit-query.ts";
export * from "./console.ts";
export {
  type Db,
  isStoreUnavailable,
  openPglite,
  openPostgres,
  type Queryable,
  type SessionLimits,
  type Tx,
} from "./db.ts";
export * from "./delivery.ts";
export * from "./due-work.ts";
export * from "./failures.ts";
export type { AttributeDef, FilterAst, ResourceSchema, SchemaSet } from "./filter/index.ts";
export * from "./limits.ts";
export * from "./links.ts";
export { checkListRequest, type ListRequest, usersMatching } from "./list-query.ts";
export * from "./memberships.ts";
export { migrate, migrationStatus, pingStore } from "./migrate.ts";
export { nameKey } from "./name-key.ts";
export * from "./names.ts";
export { openStore } from "./open.ts";
export * from "./operator.ts";
export * from "./outbox.ts";
export * from "./people.ts";
export * from "./reconcile.ts";
export * from "./resources.ts";
export * from "./signing-keys.ts";
export * from "./signins.ts";
export * from "./views.ts";
