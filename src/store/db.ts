// One small database interface over two engines: PostgreSQL through `pg`, or embedded PGlite (same SQL).
import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import pg from "pg";

export interface Queryable {
  query<T = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
  ): Promise<{ rows: T[]; rowCount: number }>;
}

export interface Tx extends Queryable {
  /** Runs a multi-statement script (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Tx {
  readonly kind: "postgres" | "pglite";
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Statement texts the code marks as hot, by name (see `prepared`). */
const PREPARED = new Map<string, string>();

/**
 * Marks a statement text as one to prepare once per PostgreSQL connection and reuse (parse and plan are then
 * skipped: 25% of the database's CPU per SCIM write with targets, measured). Only for texts made by the code from a
 * bounded set, never for text that depends on a request (a compiled filter): each connection keeps every prepared
 * statement for its lifetime. PGlite runs every statement as before.
 */
export function prepared(sql: string): string {
  if (!PREPARED.has(sql)) PREPARED.set(sql, `scim_bridge_${PREPARED.size + 1}`);
  return sql;
}

/** The query config `pg` takes: named when the text was marked by `prepared`. */
function pgQuery(sql: string, params: unknown[] | undefined): pg.QueryConfig {
  const name = params?.length ? PREPARED.get(sql) : undefined;
  return name ? { name, text: sql, values: params as unknown[] } : { text: sql, values: params as unknown[] };
}

/** Socket errors that mean the database connection is gone (the statement may not have run). */
const LOST_CONNECTION = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

/**
 * Whether `e` says the database is unreachable rather than that the statement was wrong: a refused or reset
 * connection, SQLSTATE class 08 (connection exception), 57P01-57P03 (terminated by an administrator, a crash
 * shutdown, not accepting connections yet), 53300 (too many connections), or `pg`'s own messages for a connection
 * that ended or could not be made in time. Such a failure is worth retrying; it is never the client's mistake.
 */
export function isStoreUnavailable(e: unknown): boolean {
  const x = e as { code?: unknown; message?: unknown } | undefined;
  const code = typeof x?.code === "string" ? x.code : "";
  if (LOST_CONNECTION.has(code) || /^08/.test(code) || /^57P0[123]$/.test(code) || code === "53300")
    return true;
  const message = typeof x?.message === "string" ? x.message : "";
  return /^Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect/.test(
    message,
  );
}

// Return timestamps as Date and bigint counts as numbers the same way on both engines.
pg.types.setTypeParser(20, (v) => Number(v));

export interface SessionLimits {
  /** PostgreSQL cancels a statement that runs longer (SQLSTATE 57014); 0 = no limit. Default 30 s. */
  statementTimeoutMs?: number;
}

export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;

/**
 * Settings of every session: no JIT (a filter of a few hundred value-path terms spent minutes in the JIT compiler,
 * deaf to cancel, while the same query runs in 0.1 s without it) and a statement timeout, so one runaway query
 * can neither hold a connection nor a CPU for long.
 */
function sessionOptions(limits: SessionLimits, schema?: string): string {
  const timeout = limits.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  return [
    `-c jit=off`,
    `-c statement_timeout=${Math.trunc(timeout)}`,
    ...(schema ? [`-c search_path=${schema}`] : []),
  ].join(" ");
}

export async function openPostgres(
  url: string,
  opts: { max?: number; schema?: string } & SessionLimits = {},
): Promise<Db> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    options: sessionOptions(opts, opts.schema),
    // A database that stops answering (a partition, a failover in progress) fails the request instead of holding
    // it: the IdP gets a 503 it retries. Keep-alive notices a dead peer on an idle connection.
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
  });
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on("error", () => {});
  await pool.query("SELECT 1");
  const query: Db["query"] = async (sql, params) => {
    const r = await pool.query(pgQuery(sql, params));
    return { rows: r.rows, rowCount: r.rowCount ?? 0 };
  };
  return {
    kind: "postgres",
    query,
    async transaction(fn) {
      const client = await pool.connect();
      // A checked-out client has no pool listener: without this, a backend terminated mid-transaction (failover,
      // pooler restart, idle_session_timeout) is an unhandled 'error' event that kills the process. The statement
      // in flight fails on its own; the client is then destroyed instead of going back to the pool.
      let broken: Error | undefined;
      const onError = (err: Error) => {
        broken ??= err;
      };
      client.on("error", onError);
      try {
        await client.query("BEGIN");
        const tx: Tx = {
          async query(sql, params) {
            const r = await client.query(pgQuery(sql, params));
            return { rows: r.rows, rowCount: r.rowCount ?? 0 };
          },
          async exec(sql) {
            await client.query(sql);
          },
        };
        const out = await fn(tx);
        await client.query("COMMIT");
        return out;
      } catch (e) {
        await client.query("ROLLBACK").catch((err: Error) => {
          broken ??= err;
        });
        throw e;
      } finally {
        client.off("error", onError);
        // release(err) destroys the connection: a broken one must not serve the next transaction.
        client.release(broken ?? false);
      }
    },
    async exec(sql) {
      await pool.query(sql);
    },
    async close() {
      await pool.end();
    },
  };
}

/** PGlite in a data directory, or in memory when `dir` is undefined. One process at a time may open a directory. */
export async function openPglite(dir?: string, limits: SessionLimits = {}): Promise<Db> {
  if (dir) mkdirSync(dir, { recursive: true });
  // pg_trgm: the trigram index that `userName co` uses (migration 015); the bundle is small and loads lazily.
  const lite = await PGlite.create(dir, { extensions: { pg_trgm } });
  // The same session settings as PostgreSQL. PGlite compiles no JIT, and being single-threaded WASM without
  // timer signals it cannot cancel a running statement: there only the bounded input (filters, paths) protects it.
  await lite.exec(
    `SET jit = off; SET statement_timeout = ${Math.trunc(limits.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS)}`,
  );

  const wrap = (q: Pick<PGlite, "query" | "exec">): Tx => ({
    async query(sql, params) {
      const r = await q.query(sql, params as unknown[]);
      return { rows: r.rows as never[], rowCount: r.affectedRows ?? r.rows.length };
    },
    async exec(sql) {
      await q.exec(sql);
    },
  });
  const base = wrap(lite);
  return {
    kind: "pglite",
    ...base,
    transaction: (fn) => lite.transaction((tx) => fn(wrap(tx))),
    async close() {
      await lite.close();
    },
  };
}
