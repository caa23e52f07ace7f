// One small database interface over two engines: PostgreSQL through `pg`, or embedded PGlite (same SQL).
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { PGlite, parse as pgliteParse, protocol } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import pg from "pg";

export interface QueryOptions {
  /**
   * A text that depends on the request (a list's page or count, whose filter and order vary) but whose plan may be
   * reused for other values: kept parsed while it is among the ones used last (see `openPostgres`, `pgliteStatements`).
   * Only for reads whose every plan is index-driven or re-planned per value: a statement that is neither marked nor
   * this is parsed and planned afresh each time, since a plan made when a table was small (a claim of the outbox
   * before a burst of writes) can be very wrong later.
   */
  keepParsed?: boolean;
}

export interface Queryable {
  query<T = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
    opts?: QueryOptions,
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
 * statement for its lifetime. PGlite prepares them once too (see `pgliteStatements`).
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

/** Unmarked statement texts (filters, pages) one PostgreSQL connection parses at most in its life. */
export const UNMARKED_TEXTS_PER_CONNECTION = 50;

/**
 * A name for an unmarked text: the same text has the same name on every connection (and a name never stands for
 * two texts, which `pg` refuses), without a table of every text ever seen.
 */
function unmarkedName(sql: string): string {
  return `scim_bridge_r_${createHash("sha256").update(sql).digest("base64url").slice(0, 32)}`;
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

/**
 * Runs `fn` on a client checked out of `pool`, then gives it back, or destroys it when `fn` marked it broken (its
 * statement failed, ROLLBACK failed, it parsed too much) or it emitted 'error' meanwhile. A checked-out client has
 * no pool listener: without one, a backend terminated mid-statement (failover, pooler restart,
 * idle_session_timeout) is an unhandled 'error' event that kills the process; the statement in flight fails on its
 * own.
 */
async function checkedOut<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient, broken: (why: Error | true) => void) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let why: Error | true | undefined;
  const broken = (e: Error | true) => {
    why ??= e;
  };
  client.on("error", broken);
  try {
    return await fn(client, broken);
  } finally {
    client.off("error", broken);
    // release(err) destroys the connection: a broken one must not serve the next statement.
    client.release(why ?? false);
  }
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
  /** Per connection: the names of the unmarked texts it has parsed. */
  const parsedBy = new WeakMap<pg.PoolClient, Set<string>>();
  const query: Db["query"] = async (sql, params, opts) => {
    if (!params?.length || PREPARED.has(sql) || !opts?.keepParsed) {
      const r = await pool.query(pgQuery(sql, params));
      return { rows: r.rows, rowCount: r.rowCount ?? 0 };
    }
    // A list's text, which depends on the request (its filter and order), is parsed once per connection too, so
    // that an IdP's repeated lookup skips parse and plan (a `userName eq` lookup cost PostgreSQL 277–368 µs of CPU
    // unnamed, 82–88 kept parsed). Bounded: a connection that has parsed UNMARKED_TEXTS_PER_CONNECTION such texts
    // is closed after its statement (rather than told to forget some), and its successor starts empty.
    return checkedOut(pool, async (client, broken) => {
      const name = unmarkedName(sql);
      const texts = parsedBy.get(client) ?? new Set<string>();
      parsedBy.set(client, texts);
      if (texts.add(name).size > UNMARKED_TEXTS_PER_CONNECTION) broken(true);
      try {
        const r = await client.query({ name, text: sql, values: params });
        return { rows: r.rows, rowCount: r.rowCount ?? 0 };
      } catch (e) {
        // As pool.query does: a connection whose statement failed is not trusted with the next one.
        broken(e as Error);
        throw e;
      }
    });
  };
  return {
    kind: "postgres",
    query,
    transaction: (fn) =>
      checkedOut(pool, async (client, broken) => {
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
          await client.query("ROLLBACK").catch(broken);
          throw e;
        }
      }),
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

  const run = pgliteStatements(lite);
  const wrap = (q: Pick<PGlite, "exec">, inTransaction: boolean): Tx => ({
    async query(sql, params, opts) {
      const r = await run(sql, params ?? [], inTransaction, !!opts?.keepParsed);
      return { rows: r.rows as never[], rowCount: r.affectedRows ?? r.rows.length };
    },
    async exec(sql) {
      await q.exec(sql);
    },
  });
  const base = wrap(lite, false);
  return {
    kind: "pglite",
    ...base,
    transaction: (fn) => lite.transaction((tx) => fn(wrap(tx, true))),
    async close() {
      await lite.close();
    },
  };
}

/** What PGlite's `query` does around the engine, which `pgliteStatements` does too (not in its typed API). */
interface PgliteInternals {
  serializers: Record<number, (v: unknown) => string>;
  parsers: Parameters<typeof pgliteParse.parseResults>[1];
  _runExclusiveQuery<T>(fn: () => Promise<T>): Promise<T>;
  _runExclusiveTransaction<T>(fn: () => Promise<T>): Promise<T>;
}

/** Statement texts PGlite keeps parsed at most beside the marked ones (a compiled filter's text varies with the request). */
const STATEMENTS_MAX = 200;
/** Unnamed statement texts whose parameter types are remembered at most. */
const DESCRIBED_MAX = 500;

interface Parsed {
  types: number[];
  name: string;
}

/**
 * Runs one statement on PGlite in one call into the engine: Bind, Describe, Execute and Sync in one protocol
 * message, where PGlite's `query` makes six calls (Parse, Describe, Bind, Describe, Execute, Sync), each a full
 * turn of its WASM main loop. A text's parameter types (which serializer each value takes, as `query` chooses them)
 * are asked for once. A text marked `prepared` is parsed once for good; a list's text (`keepParsed`: filters, pages)
 * stays parsed while it is among the STATEMENTS_MAX used last, the oldest closed past that; any other runs as the
 * unnamed statement, parsed again (and planned afresh, see `QueryOptions`) in the same message that runs it.
 * Measured on a user read by id: 525 → 101 µs of CPU, an update 1,505 → 670 µs. Holds the same locks as `query`
 * (the transaction's, then the query's) and syncs the data directory after a statement outside a transaction, as
 * `query` does.
 */
function pgliteStatements(lite: PGlite) {
  const internals = lite as unknown as PgliteInternals;
  const { serialize } = protocol;
  /** Named statements by text: marked ones, and the kept ones of `recent`. */
  const named = new Map<string, Parsed>();
  /** Kept texts, least recently used first. */
  const recent = new Set<string>();
  /** Parameter types of texts run unnamed, oldest first. */
  const described = new Map<string, number[]>();
  let made = 0;

  const send = async (messages: Uint8Array[], syncToFs: boolean) =>
    (await lite.execProtocol(concatBytes(messages), { syncToFs })).messages;

  async function parse(sql: string, name: string): Promise<Parsed> {
    const messages = await send(
      [serialize.parse({ name, text: sql }), serialize.describe({ type: "S", name }), serialize.sync()],
      false,
    );
    const types =
      (messages.find((m) => m.name === "parameterDescription") as { dataTypeIDs?: number[] } | undefined)
        ?.dataTypeIDs ?? [];
    return { types, name };
  }

  /** A marked or kept text's statement, parsed on its first use. */
  async function namedStatement(sql: string, name: () => string): Promise<Parsed> {
    const known = named.get(sql) ?? (await parse(sql, name()));
    named.set(sql, known);
    return known;
  }

  /** A kept text's statement: among the recent ones, or parsed now (closing the oldest past STATEMENTS_MAX). */
  async function recentStatement(sql: string): Promise<Parsed> {
    if (!recent.delete(sql) && recent.size >= STATEMENTS_MAX) {
      const [oldest] = recent;
      recent.delete(oldest!);
      const { name } = named.get(oldest!)!;
      named.delete(oldest!);
      await send([serialize.close({ type: "S", name }), serialize.sync()], false);
    }
    const known = await namedStatement(sql, () => `scim_bridge_lite_${++made}`);
    recent.add(sql);
    return known;
  }

  /** The unnamed statement's types, and whether the message must parse it (it was not just parsed here). */
  async function unnamedStatement(sql: string): Promise<{ types: number[]; reparse: boolean }> {
    const types = described.get(sql);
    if (types) return { types, reparse: true };
    if (described.size >= DESCRIBED_MAX) described.delete(described.keys().next().value!);
    const fresh = await parse(sql, "");
    described.set(sql, fresh.types);
    return { types: fresh.types, reparse: false };
  }

  async function statement(sql: string, params: unknown[], inTransaction: boolean, keep: boolean) {
    const marked = PREPARED.get(sql);
    const { types, name, reparse } = marked
      ? { ...(await namedStatement(sql, () => marked)), reparse: false }
      : keep
        ? { ...(await recentStatement(sql)), reparse: false }
        : { ...(await unnamedStatement(sql)), name: "" };
    const values = params.map((v, i) => {
      if (v === null || v === undefined) return null;
      const serializer = internals.serializers[types[i]!];
      return serializer ? serializer(v) : String(v);
    });
    const messages = await send(
      [
        ...(reparse ? [serialize.parse({ name, text: sql, types })] : []),
        serialize.bind({ statement: name, values }),
        serialize.describe({ type: "P" }),
        serialize.execute({}),
        serialize.sync(),
      ],
      !inTransaction,
    );
    return pgliteParse.parseResults(messages, internals.parsers)[0] ?? { rows: [], affectedRows: 0 };
  }

  return (sql: string, params: unknown[], inTransaction: boolean, keep: boolean) =>
    inTransaction
      ? internals._runExclusiveQuery(() => statement(sql, params, true, keep))
      : internals._runExclusiveTransaction(() =>
          internals._runExclusiveQuery(() => statement(sql, params, false, keep)),
        );
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
