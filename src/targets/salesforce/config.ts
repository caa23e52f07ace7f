// Configuration of one Salesforce target (an org): the YAML `targets:` entry, or the SALESFORCE_*
// environment variables for a single org.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError, readSecret } from "../../config/index.ts";
import { SalesforceMappingSpec } from "./mapping.ts";

/** User fields a SCIM user can be matched on before create, in the order they are tried. */
export const CORRELATION_KEYS = ["FederationIdentifier", "Username", "Email"] as const;
export type CorrelationKey = (typeof CORRELATION_KEYS)[number];

const text = z.string().min(1);
const url = (what: string) =>
  z
    .url({ error: `${what} must be a URL such as https://login.salesforce.com` })
    .transform((u) => u.replace(/\/+$/, ""));

const PasswordAuth = z.strictObject({
  password: z.strictObject({
    clientId: text,
    clientSecret: text,
    username: text,
    password: text,
    /** Appended to the password, as Salesforce requires for logins from outside trusted IP ranges. */
    securityToken: z.string().optional(),
  }),
});
const ClientCredentialsAuth = z.strictObject({
  clientCredentials: z.strictObject({ clientId: text, clientSecret: text }),
});
const JwtAuth = z.strictObject({
  jwt: z.strictObject({
    clientId: text,
    username: text,
    /** PEM private key whose certificate is uploaded to the connected app. */
    privateKey: text.refine((k) => k.includes("PRIVATE KEY"), {
      error: "privateKey must be a PEM private key",
    }),
  }),
});

export const SalesforcePolicies = z.strictObject({
  /** Sends Salesforce's "set your password" email when a user is created (DELETE /sobjects/User/{id}/password). */
  resetPasswordEmailOnCreate: z.boolean().default(false),
  /** Salesforce users cannot be deleted: deprovisioning always deactivates (IsActive=false). */
  deprovision: z.literal("deactivate").default("deactivate"),
});

export const SalesforceBudget = z.strictObject({
  /** Share of the daily API allocation (Sforce-Limit-Info) above which work is parked. */
  maxUsage: z.coerce.number().gt(0).max(1).default(0.95),
  /** How long parked work waits: the allocation is a rolling 24 h window whose refill time is not published. */
  parkMs: z.coerce.number().int().positive().default(3_600_000),
});

/** The profile of users no group rule, extension value, entitlement or mapped field gives one. */
export const DEFAULT_PROFILE = "Standard User";

const SalesforceTargetFields = z.strictObject({
  name: text,
  kind: z.literal("salesforce"),
  /** https://login.salesforce.com, https://test.salesforce.com (sandboxes) or the org's My Domain URL. */
  loginUrl: url("loginUrl").default("https://login.salesforce.com"),
  /** The org's My Domain URL; client credentials must use it as the token endpoint. */
  instanceUrl: url("instanceUrl").optional(),
  apiVersion: z
    .string()
    .regex(/^\d{2,3}\.0$/, { error: 'apiVersion must look like "62.0"' })
    .default("62.0"),
  auth: z.union([PasswordAuth, ClientCredentialsAuth, JwtAuth], {
    error:
      "auth must be { password: { clientId, clientSecret, username, password, securityToken? } }, " +
      "{ clientCredentials: { clientId, clientSecret } } or { jwt: { clientId, username, privateKey } }",
  }),
  scope: z.string().min(1).optional(),
  mapping: SalesforceMappingSpec.optional(),
  /**
   * ProfileId for users nothing else gives one (a profile name or an 00e… Id); null: none, such a user is refused.
   * The lowest precedence: group rules, the extension, entitlements and a mapped fields.ProfileId override it.
   */
  defaultProfile: z.string().trim().min(1).nullable().default(DEFAULT_PROFILE),
  correlation: z
    .array(z.enum(CORRELATION_KEYS))
    .min(1)
    .default([...CORRELATION_KEYS]),
  policies: SalesforcePolicies.default({ resetPasswordEmailOnCreate: false, deprovision: "deactivate" }),
  budget: SalesforceBudget.default({ maxUsage: 0.95, parkMs: 3_600_000 }),
  /** Records per apply(); sObject Collections take at most 200. */
  batchSize: z.coerce.number().int().positive().max(200).default(200),
  concurrency: z.coerce.number().int().positive().max(25).default(4),
  timeoutMs: z.coerce.number().int().positive().default(60_000),
});

/**
 * One rule however the target is configured (YAML or SALESFORCE_* variables): the default profile is the mapping's
 * fields.ProfileId unless the mapping names one itself, so the doctor checks it exists like any mapped profile.
 */
export const SalesforceTargetConfig = SalesforceTargetFields.transform((c) => {
  if (c.defaultProfile === null || c.mapping?.fields?.ProfileId !== undefined) return c;
  const mapping = c.mapping ?? SalesforceMappingSpec.parse({});
  return {
    ...c,
    mapping: { ...mapping, fields: { ...mapping.fields, ProfileId: { const: c.defaultProfile } } },
  };
});

export type SalesforceTargetConfig = z.output<typeof SalesforceTargetConfig>;
export type SalesforceTargetConfigInput = z.input<typeof SalesforceTargetConfig>;

type Env = Record<string, string | undefined>;

/** The variables that configure a single org (secrets may also be given as NAME_FILE). */
export const SALESFORCE_ENV = [
  "SALESFORCE_LOGIN_URL",
  "SALESFORCE_INSTANCE_URL",
  "SALESFORCE_CLIENT_ID",
  "SALESFORCE_CLIENT_SECRET",
  "SALESFORCE_USERNAME",
  "SALESFORCE_PASSWORD",
  "SALESFORCE_SECURITY_TOKEN",
  "SALESFORCE_JWT_KEY_FILE",
  "SALESFORCE_API_VERSION",
] as const;

function readKeyFile(path: string, problems: string[]): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    problems.push(`SALESFORCE_JWT_KEY_FILE: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? e})`);
    return undefined;
  }
}

/**
 * The single-org configuration from SALESFORCE_* variables, named "salesforce"; undefined when none
 * of them is set. The flow follows what is given: JWT when a key file is set, the password flow when
 * a username and password are, client credentials otherwise.
 */
export function salesforceConfigFromEnv(env: Env = process.env): SalesforceTargetConfig | undefined {
  const given = SALESFORCE_ENV.some((k) => env[k] || env[`${k}_FILE`]);
  if (!given) return undefined;
  const problems: string[] = [];
  const clientId = env.SALESFORCE_CLIENT_ID;
  const clientSecret = readSecret(env, "SALESFORCE_CLIENT_SECRET", problems);
  const username = env.SALESFORCE_USERNAME;
  const password = readSecret(env, "SALESFORCE_PASSWORD", problems);
  const securityToken = readSecret(env, "SALESFORCE_SECURITY_TOKEN", problems);
  const keyFile = env.SALESFORCE_JWT_KEY_FILE;
  const privateKey = keyFile ? readKeyFile(keyFile, problems) : undefined;
  if (!env.SALESFORCE_LOGIN_URL && !env.SALESFORCE_INSTANCE_URL)
    problems.push("SALESFORCE_LOGIN_URL (or SALESFORCE_INSTANCE_URL) is missing");
  if (!clientId) problems.push("SALESFORCE_CLIENT_ID is missing (the connected app's consumer key)");
  let auth: unknown;
  if (keyFile) {
    if (!username) problems.push("JWT bearer (SALESFORCE_JWT_KEY_FILE) also needs SALESFORCE_USERNAME");
    auth = { jwt: { clientId, username, privateKey } };
  } else if (username && password) {
    if (!clientSecret) problems.push("the password flow also needs SALESFORCE_CLIENT_SECRET");
    auth = { password: { clientId, clientSecret, username, password, securityToken } };
  } else {
    if (!clientSecret)
      problems.push(
        "no credentials: set SALESFORCE_CLIENT_SECRET (client credentials), SALESFORCE_USERNAME and " +
          "SALESFORCE_PASSWORD (password flow), or SALESFORCE_JWT_KEY_FILE and SALESFORCE_USERNAME (JWT bearer)",
      );
    auth = { clientCredentials: { clientId, clientSecret } };
  }
  if (problems.length) throw new ConfigError(problems);
  const result = SalesforceTargetConfig.safeParse({
    name: "salesforce",
    kind: "salesforce",
    loginUrl: env.SALESFORCE_LOGIN_URL ?? env.SALESFORCE_INSTANCE_URL,
    ...(env.SALESFORCE_INSTANCE_URL ? { instanceUrl: env.SALESFORCE_INSTANCE_URL } : {}),
    ...(env.SALESFORCE_API_VERSION ? { apiVersion: env.SALESFORCE_API_VERSION } : {}),
    ...(env.SALESFORCE_DEFAULT_PROFILE ? { defaultProfile: env.SALESFORCE_DEFAULT_PROFILE } : {}),
    auth,
  });
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `salesforce ${i.path.join(".")}: ${i.message}`));
  }
  return result.data;
}
