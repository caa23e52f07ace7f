// Configuration: one zod schema over environment variables plus an optional YAML file (BRIDGE_CONFIG).
// Any secret may be given as NAME_FILE instead of NAME. Invalid configuration fails with every problem listed.
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { OPERATOR_AUTH_ENV, OPERATOR_AUTH_SECRET_ENV, OperatorAuthSchema } from "./operator-auth.ts";
import { ScimCredentialsSchema } from "./scim-auth.ts";

const port = z.coerce.number().int().min(0).max(65535);
const bool = z
  .union([z.boolean(), z.enum(["true", "false", "1", "0", "yes", "no"])])
  .transform((v) => v === true || v === "true" || v === "1" || v === "yes");

/** A bearer token with a name, so logs and the audit trail can say who acted without showing the secret. */
const NamedToken = z.object({ name: z.string().min(1), token: z.string().min(16) });

export const ConfigSchema = z.object({
  port: port.default(8080),
  host: z.string().min(1).default("127.0.0.1"),
  dataDir: z.string().min(1).default("./data"),
  databaseUrl: z.string().url().optional(),
  store: z
    .object({
      /** PostgreSQL cancels any statement running longer (a 503 to the client); 0 turns the limit off. */
      statementTimeoutMs: z.coerce.number().int().min(0).default(30_000),
    })
    .prefault({}),
  /** Several tokens may be valid at once, so a rotation never has a window where the IdP is locked out. */
  tokens: z.array(NamedToken).default([]),
  adminTokens: z.array(NamedToken).default([]),
  /**
   * Named SCIM credentials (bearer, basic, clientCredentials, jwt): src/config/scim-auth.ts. Operators: the console's
   * OpenID Connect sign-in, named admin tokens with roles, the break-glass token: src/config/operator-auth.ts.
   */
  auth: z.object({ scim: ScimCredentialsSchema, ...OperatorAuthSchema }).prefault({}),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  bodyLimit: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, "a size such as 1mb or 512kb")
    .default("1mb"),
  rateLimit: z
    .object({
      perMinute: z.coerce.number().int().positive().default(6000),
      /** Failed authentications per client address and minute before 429 (a valid token always passes). */
      authFailuresPerMinute: z.coerce.number().int().positive().default(30),
    })
    .prefault({}),
  publicUrl: z.string().url().optional(),
  filterMaxResults: z.coerce.number().int().positive().default(1000),
  shutdownTimeoutMs: z.coerce.number().int().positive().default(10_000),
  trustProxy: bool.default(false),
  /** How long a browser console sign-in lasts before the admin token is asked for again. */
  consoleSessionMinutes: z.coerce.number().int().min(1).max(10_080).default(480),
  /** Target instances; each kind validates its own settings (src/targets/registry.ts). */
  targets: z.array(z.looseObject({ name: z.string().min(1), kind: z.string().min(1) })).default([]),
  /** Key for passwords in the outbox: 64 hex characters or base64 of 32 bytes. Without it, no target gets passwords. */
  outboxKey: z
    .string()
    .regex(/^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/, "64 hex characters or base64 of 32 bytes")
    .optional(),
  /** Start local Tableau/Salesforce emulators when no target is configured (the zero-configuration demo). */
  demo: bool.default(true),
  sync: z
    .object({
      /** How long a write waits for its first delivery attempt when the client does not say (0: never). */
      waitForDeliveryMs: z.coerce.number().int().min(0).max(60_000).default(0),
      /** The most a client may ask to wait with `Prefer: wait=N` (whole seconds count). */
      maxWaitMs: z.coerce.number().int().min(0).max(60_000).default(10_000),
      maxAttempts: z.coerce.number().int().min(1).default(10),
      backoffBaseMs: z.coerce.number().int().positive().default(1_000),
      backoffMaxMs: z.coerce.number().int().positive().default(300_000),
      pollMs: z.coerce.number().int().positive().default(1_000),
      leaseMs: z.coerce.number().int().min(300).default(30_000),
      /** Unset: each target's own number (Target.workers; Tableau: three times its concurrency), else 2. */
      workersPerTarget: z.coerce.number().int().min(1).max(64).optional(),
      /**
       * While SCIM requests are being answered, each target claims at most one batch per this many ms, twice as late
       * each turn while the burst lasts (up to 8×), so an IdP's burst is not slowed by deliveries (0: never give way).
       */
      yieldMs: z.coerce.number().int().min(0).max(60_000).default(1_000),
      /**
       * A worker about to claim a partial batch lets it fill until its longest-waiting job has waited this long, so
       * updates arriving one by one share calls (0: claim at once). Never applies while a client waits for a delivery.
       */
      coalesceMs: z.coerce.number().int().min(0).max(250).default(250),
      breaker: z
        .object({
          windowMinutes: z.coerce.number().positive().default(60),
          maxDeprovisions: z.coerce.number().int().min(0).default(100),
          maxPercent: z.coerce.number().min(0).max(100).default(20),
        })
        .prefault({}),
    })
    .prefault({}),
  /** Reconcile: compare targets with the store on a schedule (0 = only on demand) and optionally repair. */
  reconcile: z
    .object({
      intervalMinutes: z.coerce.number().min(0).default(0),
      /** Target names; default every target. */
      targets: z.array(z.string().min(1)).optional(),
      apply: bool.default(false),
      /** Accounts only in the target are reported; deprovisioning them is an explicit policy. */
      deprovisionUnmanaged: bool.default(false),
    })
    .prefault({}),
  /** Import: bring a target's accounts into the store on a schedule (e.g. Tableau users into Salesforce). */
  import: z
    .object({
      from: z.string().min(1).optional(),
      intervalMinutes: z.coerce.number().min(0).default(0),
    })
    .prefault({}),
});

export type Config = z.infer<typeof ConfigSchema>;

/** Every environment variable and the config key (path) it sets: the one list, README's table follows it. */
export const ENV_KEYS: Record<string, readonly string[]> = {
  PORT: ["port"],
  HOST: ["host"],
  DATA_DIR: ["dataDir"],
  DATABASE_URL: ["databaseUrl"],
  LOG_LEVEL: ["logLevel"],
  BODY_LIMIT: ["bodyLimit"],
  PUBLIC_URL: ["publicUrl"],
  FILTER_MAX_RESULTS: ["filterMaxResults"],
  SHUTDOWN_TIMEOUT_MS: ["shutdownTimeoutMs"],
  TRUST_PROXY: ["trustProxy"],
  CONSOLE_SESSION_MINUTES: ["consoleSessionMinutes"],
  OUTBOX_KEY: ["outboxKey"],
  DEMO: ["demo"],
  SYNC_WAIT_MS: ["sync", "waitForDeliveryMs"],
  SYNC_WAIT_MAX_MS: ["sync", "maxWaitMs"],
  SYNC_MAX_ATTEMPTS: ["sync", "maxAttempts"],
  SYNC_BACKOFF_BASE_MS: ["sync", "backoffBaseMs"],
  SYNC_BACKOFF_MAX_MS: ["sync", "backoffMaxMs"],
  SYNC_POLL_MS: ["sync", "pollMs"],
  SYNC_LEASE_MS: ["sync", "leaseMs"],
  SYNC_WORKERS_PER_TARGET: ["sync", "workersPerTarget"],
  SYNC_YIELD_MS: ["sync", "yieldMs"],
  SYNC_COALESCE_MS: ["sync", "coalesceMs"],
  BREAKER_WINDOW_MINUTES: ["sync", "breaker", "windowMinutes"],
  BREAKER_MAX_DEPROVISIONS: ["sync", "breaker", "maxDeprovisions"],
  BREAKER_MAX_PERCENT: ["sync", "breaker", "maxPercent"],
  RATE_LIMIT_PER_MINUTE: ["rateLimit", "perMinute"],
  AUTH_FAILURES_PER_MINUTE: ["rateLimit", "authFailuresPerMinute"],
  DB_STATEMENT_TIMEOUT_MS: ["store", "statementTimeoutMs"],
  RECONCILE_INTERVAL_MINUTES: ["reconcile", "intervalMinutes"],
  RECONCILE_APPLY: ["reconcile", "apply"],
  RECONCILE_DEPROVISION_UNMANAGED: ["reconcile", "deprovisionUnmanaged"],
  IMPORT_FROM: ["import", "from"],
  IMPORT_INTERVAL_MINUTES: ["import", "intervalMinutes"],
  ...OPERATOR_AUTH_ENV,
};

function setPath(o: Record<string, unknown>, path: readonly string[], value: unknown) {
  let cur = o;
  for (const k of path.slice(0, -1)) {
    const next = cur[k];
    cur = cur[k] = next && typeof next === "object" ? { ...(next as Record<string, unknown>) } : {};
  }
  cur[path.at(-1)!] = value;
}

const SECRET_ENV = [
  "SCIM_BEARER_TOKEN",
  "SCIM_BEARER_TOKENS",
  "ADMIN_TOKEN",
  "DATABASE_URL",
  "OUTBOX_KEY",
  ...OPERATOR_AUTH_SECRET_ENV,
];

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

type Env = Record<string, string | undefined>;

/** Reads NAME, or the file named by NAME_FILE (trimmed), so secrets can come from Docker/Kubernetes secrets. */
export function readSecret(env: Env, name: string, problems: string[]): string | undefined {
  const file = env[`${name}_FILE`];
  if (file) {
    try {
      return readFileSync(file, "utf8").trim();
    } catch (e) {
      problems.push(`${name}_FILE: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? e})`);
      return undefined;
    }
  }
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
}

/** `SCIM_BEARER_TOKENS=okta:tok1,entra:tok2` or a single unnamed `SCIM_BEARER_TOKEN`. */
function parseTokenList(raw: string | undefined, single: string | undefined, singleName: string) {
  const out: { name: string; token: string }[] = [];
  if (single) out.push({ name: singleName, token: single });
  for (const item of (raw ?? "").split(",").map((s) => s.trim())) {
    if (!item) continue;
    const at = item.indexOf(":");
    out.push(
      at > 0
        ? { name: item.slice(0, at), token: item.slice(at + 1) }
        : { name: `token${out.length + 1}`, token: item },
    );
  }
  return out;
}

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  let fileValues: Record<string, unknown> = {};
  const path = env.BRIDGE_CONFIG;
  if (path) {
    try {
      const parsed = parseYaml(readFileSync(path, "utf8"));
      if (parsed && typeof parsed === "object") fileValues = parsed as Record<string, unknown>;
      else if (parsed != null) problems.push(`BRIDGE_CONFIG: ${path} must contain a YAML mapping`);
    } catch (e) {
      problems.push(`BRIDGE_CONFIG: cannot read ${path}: ${(e as Error).message}`);
    }
  }
  const fromEnv: Record<string, unknown> = {};
  const tokens = parseTokenList(
    readSecret(env, "SCIM_BEARER_TOKENS", problems),
    readSecret(env, "SCIM_BEARER_TOKEN", problems),
    "default",
  );
  if (tokens.length) fromEnv.tokens = tokens;
  const adminTokens = parseTokenList(undefined, readSecret(env, "ADMIN_TOKEN", problems), "admin");
  if (adminTokens.length) fromEnv.adminTokens = adminTokens;

  // The environment wins over the file, so one deployment file can serve several environments.
  const merged: Record<string, unknown> = { ...fileValues, ...fromEnv };
  for (const [name, path] of Object.entries(ENV_KEYS)) {
    const value = SECRET_ENV.includes(name) ? readSecret(env, name, problems) : env[name];
    if (value !== undefined && value !== "") setPath(merged, path, value);
  }
  const result = ConfigSchema.safeParse(merged);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = issue.path.join(".") || "(root)";
      const envName = Object.entries(ENV_KEYS).find(([, p]) => p.join(".") === key)?.[0];
      problems.push(`${key}${envName ? ` (${envName})` : ""}: ${issue.message}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return (result as { data: Config }).data;
}
