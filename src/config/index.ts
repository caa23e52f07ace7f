// Configuration: one zod schema over environment variables plus an optional YAML file (BRIDGE_CONFIG).
// Any secret may be given as NAME_FILE instead of NAME. Invalid configuration fails with every problem listed.
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

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
  /** Several tokens may be valid at once, so a rotation never has a window where the IdP is locked out. */
  tokens: z.array(NamedToken).default([]),
  adminTokens: z.array(NamedToken).default([]),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  bodyLimit: z.string().regex(/^\d+(b|kb|mb)$/i, "a size such as 1mb or 512kb").default("1mb"),
  rateLimit: z
    .object({
      perMinute: z.coerce.number().int().positive().default(6000),
    })
    .default({ perMinute: 6000 }),
  publicUrl: z.string().url().optional(),
  filterMaxResults: z.coerce.number().int().positive().default(1000),
  shutdownTimeoutMs: z.coerce.number().int().positive().default(10_000),
  trustProxy: bool.default(false),
});

export type Config = z.infer<typeof ConfigSchema>;

/** Environment variables and the config key each one sets. */
const ENV_KEYS: Record<string, string> = {
  PORT: "port",
  HOST: "host",
  DATA_DIR: "dataDir",
  DATABASE_URL: "databaseUrl",
  LOG_LEVEL: "logLevel",
  BODY_LIMIT: "bodyLimit",
  PUBLIC_URL: "publicUrl",
  FILTER_MAX_RESULTS: "filterMaxResults",
  SHUTDOWN_TIMEOUT_MS: "shutdownTimeoutMs",
  TRUST_PROXY: "trustProxy",
};

const SECRET_ENV = ["SCIM_BEARER_TOKEN", "SCIM_BEARER_TOKENS", "ADMIN_TOKEN", "DATABASE_URL"];

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
    out.push(at > 0 ? { name: item.slice(0, at), token: item.slice(at + 1) } : { name: `token${out.length + 1}`, token: item });
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
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const value = SECRET_ENV.includes(name) ? readSecret(env, name, problems) : env[name];
    if (value !== undefined && value !== "") fromEnv[key] = value;
  }
  const tokens = parseTokenList(
    readSecret(env, "SCIM_BEARER_TOKENS", problems),
    readSecret(env, "SCIM_BEARER_TOKEN", problems),
    "default",
  );
  if (tokens.length) fromEnv.tokens = tokens;
  const adminTokens = parseTokenList(undefined, readSecret(env, "ADMIN_TOKEN", problems), "admin");
  if (adminTokens.length) fromEnv.adminTokens = adminTokens;
  if (env.RATE_LIMIT_PER_MINUTE) fromEnv.rateLimit = { perMinute: env.RATE_LIMIT_PER_MINUTE };

  // The environment wins over the file, so one deployment file can serve several environments.
  const merged = { ...fileValues, ...fromEnv };
  const result = ConfigSchema.safeParse(merged);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = issue.path.join(".") || "(root)";
      const envName = Object.entries(ENV_KEYS).find(([, k]) => k === issue.path[0])?.[0];
      problems.push(`${key}${envName ? ` (${envName})` : ""}: ${issue.message}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return (result as { data: Config }).data;
}
