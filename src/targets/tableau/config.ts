// Configuration of one Tableau target (a site on Tableau Server or Cloud): the YAML `targets:` entry,
// or the TABLEAU_* environment variables for a single site.
import { z } from "zod";
import { ConfigError, readSecret } from "../../config/index.ts";
import { TableauMappingSpec } from "./mapping.ts";
import { TABLEAU_WRITABLE_SITE_ROLES } from "./roles.ts";

/** Every scope the target uses; a connected app must allow them too (reference §1.2). */
export const TABLEAU_JWT_SCOPES = [
  "tableau:users:read",
  "tableau:users:create",
  "tableau:users:update",
  "tableau:users:delete",
  "tableau:groups:read",
  "tableau:groups:create",
  "tableau:groups:update",
  "tableau:groups:delete",
  // Polling the CSV import and delete jobs.
  "tableau:jobs:read",
] as const;

const SiteRole = z.enum(TABLEAU_WRITABLE_SITE_ROLES);

/**
 * bench/tableau-bulk-threshold.ts at 50 ms per call, concurrency 4: 10 new users take 343 ms one by one (20
 * calls) and 361 ms by CSV import (3 calls); 15 take 456 ms against 366 ms. Above 10 the import wins on both.
 */
const BULK_THRESHOLD_DEFAULT = 10;

const PatAuth = z.strictObject({
  pat: z.strictObject({ name: z.string().min(1), secret: z.string().min(1) }),
});

const JwtAuth = z.strictObject({
  jwt: z.strictObject({
    clientId: z.string().min(1),
    secretId: z.string().min(1),
    secretValue: z.string().min(1),
    /** The site user the connected app acts as; it needs a site administrator role. */
    username: z.string().min(1),
    scopes: z
      .array(z.string().min(1))
      .min(1)
      .default([...TABLEAU_JWT_SCOPES]),
  }),
});

export const TableauPolicies = z.strictObject({
  /** "unlicense" keeps the user and their content (safe default); "remove" deletes the site user. */
  deprovision: z.enum(["unlicense", "remove"]).default("unlicense"),
  /** For "remove": the user (name or LUID) who receives the removed user's content. */
  mapAssetsTo: z.string().min(1).optional(),
  /** The role a user gets when no group rule or extension says otherwise. */
  defaultSiteRole: SiteRole.default("Viewer"),
  /**
   * Users are added Unlicensed and the bridge's groups grant `minimumSiteRole` when a member signs
   * in, so a licence is only used by people who actually use Tableau.
   */
  grantLicenseOnSignIn: z.strictObject({ minimumSiteRole: SiteRole }).optional(),
});

export const TableauTargetConfig = z.strictObject({
  name: z.string().min(1),
  kind: z.literal("tableau"),
  serverUrl: z
    .url({
      error: "serverUrl must be the Tableau server's URL, e.g. https://prod-useast-a.online.tableau.com",
    })
    .transform((u) => u.replace(/\/+$/, "")),
  /** The site's contentUrl as it appears in URLs (…/#/site/<contentUrl>/); "" is the Default site. */
  site: z.string().default(""),
  auth: z.union([PatAuth, JwtAuth], {
    error: "auth must be { pat: { name, secret } } or { jwt: { clientId, secretId, secretValue, username } }",
  }),
  /** REST API version such as "3.25"; detected from serverInfo when absent. */
  apiVersion: z
    .string()
    .regex(/^3\.\d+$/, { error: 'apiVersion must look like "3.25"' })
    .optional(),
  /** SCIM filter choosing the users this target receives (evaluated by the dispatcher); default everyone. */
  scope: z.string().min(1).optional(),
  mapping: TableauMappingSpec.optional(),
  policies: TableauPolicies.default({ deprovision: "unlicense", defaultSiteRole: "Viewer" }),
  /** Operations per apply(): one CSV import job can then add them all. */
  batchSize: z.coerce.number().int().positive().default(200),
  /**
   * A batch with more than this many users to add (or, with deprovision "remove", to remove) goes through
   * Tableau's CSV import/delete job (API 3.15+) instead of one call per user.
   */
  bulkThreshold: z.coerce.number().int().nonnegative().default(BULK_THRESHOLD_DEFAULT),
  /** Requests in flight to this site at once (Tableau Cloud rate-limits per site). */
  concurrency: z.coerce.number().int().positive().max(64).default(4),
  timeoutMs: z.coerce.number().int().positive().default(30_000),
});

export type TableauTargetConfig = z.output<typeof TableauTargetConfig>;
export type TableauTargetConfigInput = z.input<typeof TableauTargetConfig>;

type Env = Record<string, string | undefined>;

/**
 * The single-site configuration from TABLEAU_* variables, named "tableau"; undefined when
 * TABLEAU_SERVER_URL is not set. A connected app (JWT) wins over a PAT when both are given.
 */
export function tableauConfigFromEnv(env: Env = process.env): TableauTargetConfig | undefined {
  if (!env.TABLEAU_SERVER_URL) return undefined;
  const problems: string[] = [];
  const jwt = {
    clientId: env.TABLEAU_JWT_CLIENT_ID,
    secretId: env.TABLEAU_JWT_SECRET_ID,
    secretValue: readSecret(env, "TABLEAU_JWT_SECRET_VALUE", problems),
    username: env.TABLEAU_JWT_USERNAME,
  };
  const pat = {
    name: env.TABLEAU_PAT_NAME,
    secret: readSecret(env, "TABLEAU_PAT_SECRET", problems),
  };
  const jwtGiven = Object.values(jwt).some((v) => v);
  let auth: unknown;
  if (jwtGiven) {
    const missing = Object.entries({
      TABLEAU_JWT_CLIENT_ID: jwt.clientId,
      TABLEAU_JWT_SECRET_ID: jwt.secretId,
      TABLEAU_JWT_SECRET_VALUE: jwt.secretValue,
      TABLEAU_JWT_USERNAME: jwt.username,
    }).filter(([, v]) => !v);
    if (missing.length) problems.push(`a connected app also needs ${missing.map(([k]) => k).join(", ")}`);
    auth = { jwt };
  } else if (pat.name || pat.secret) {
    if (!pat.name) problems.push("TABLEAU_PAT_NAME is missing (the personal access token's name)");
    if (!pat.secret) problems.push("TABLEAU_PAT_SECRET (or TABLEAU_PAT_SECRET_FILE) is missing");
    auth = { pat };
  } else {
    problems.push(
      "TABLEAU_SERVER_URL is set but no credentials: set TABLEAU_PAT_NAME and TABLEAU_PAT_SECRET, " +
        "or TABLEAU_JWT_CLIENT_ID, TABLEAU_JWT_SECRET_ID, TABLEAU_JWT_SECRET_VALUE and TABLEAU_JWT_USERNAME",
    );
  }
  if (problems.length) throw new ConfigError(problems);
  const result = TableauTargetConfig.safeParse({
    name: "tableau",
    kind: "tableau",
    serverUrl: env.TABLEAU_SERVER_URL,
    site: env.TABLEAU_SITE ?? "",
    auth,
    ...(env.TABLEAU_API_VERSION ? { apiVersion: env.TABLEAU_API_VERSION } : {}),
  });
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `tableau ${i.path.join(".")}: ${i.message}`));
  }
  return result.data;
}
