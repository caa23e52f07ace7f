// Configuration of one outbound SCIM 2.0 target (any SCIM service provider: an app's own SCIM API, another
// scim-bridge): the YAML `targets:` entry, or the SCIM_TARGET_* environment variables for a single peer.
import { z } from "zod";
import { ConfigError, readSecret } from "../../config/index.ts";
import { ExprSchema } from "../../mapping/spec.ts";

const text = z.string().min(1);

const BearerAuth = z.strictObject({ bearer: z.strictObject({ token: text }) });
const ClientCredentialsAuth = z.strictObject({
  clientCredentials: z.strictObject({
    tokenUrl: z.url({ error: "tokenUrl must be the OAuth token endpoint's URL" }),
    clientId: text,
    clientSecret: text,
    scope: z.string().min(1).optional(),
  }),
});

export const ScimTargetConfig = z.strictObject({
  name: text,
  kind: z.literal("scim"),
  /** The peer's SCIM base URL, the one /Users and /ServiceProviderConfig hang off (https://app.example/scim/v2). */
  url: z
    .url({ error: "url must be the peer's SCIM base URL, e.g. https://app.example.com/scim/v2" })
    .transform((u) => u.replace(/\/+$/, "")),
  auth: z.union([BearerAuth, ClientCredentialsAuth], {
    error:
      "auth must be { bearer: { token } } or { clientCredentials: { tokenUrl, clientId, clientSecret, scope? } }",
  }),
  scope: z.string().min(1).optional(),
  mapping: z
    .strictObject({
      /**
       * SCIM attributes the peer receives besides the passed-through ones, by path ("title",
       * "name.givenName", "urn:…:enterprise:2.0:User:department"): an expression, or null to not send it.
       */
      fields: z.record(text, ExprSchema.nullable()).default({}),
      /** Pass the core and enterprise attributes through as they are (the default). */
      passThrough: z.boolean().default(true),
    })
    .prefault({}),
  policies: z
    .strictObject({
      /** "deactivate" sets active=false (the default, reversible); "delete" removes the peer's user. */
      deprovision: z.enum(["deactivate", "delete"]).default("deactivate"),
      /** Provision groups and their memberships; false leaves the peer's groups alone. */
      groups: z.boolean().default(true),
      /** Use the peer's Bulk endpoint when it advertises one. */
      bulk: z.boolean().default(true),
    })
    .prefault({}),
  batchSize: z.coerce.number().int().positive().max(1000).default(50),
  concurrency: z.coerce.number().int().positive().max(64).default(4),
  timeoutMs: z.coerce.number().int().positive().default(30_000),
  acceptsPasswords: z.boolean().default(false),
});

export type ScimTargetConfig = z.output<typeof ScimTargetConfig>;
export type ScimTargetConfigInput = z.input<typeof ScimTargetConfig>;

type Env = Record<string, string | undefined>;

/**
 * The single-peer configuration from SCIM_TARGET_* variables, named "scim"; undefined when SCIM_TARGET_URL is
 * not set. A bearer token wins over client credentials when both are given.
 */
export function scimConfigFromEnv(env: Env = process.env): ScimTargetConfig | undefined {
  if (!env.SCIM_TARGET_URL) return undefined;
  const problems: string[] = [];
  const token = readSecret(env, "SCIM_TARGET_TOKEN", problems);
  const clientSecret = readSecret(env, "SCIM_TARGET_CLIENT_SECRET", problems);
  let auth: unknown;
  if (token) auth = { bearer: { token } };
  else if (env.SCIM_TARGET_TOKEN_URL || env.SCIM_TARGET_CLIENT_ID || clientSecret) {
    const cc = {
      tokenUrl: env.SCIM_TARGET_TOKEN_URL,
      clientId: env.SCIM_TARGET_CLIENT_ID,
      clientSecret,
      ...(env.SCIM_TARGET_OAUTH_SCOPE ? { scope: env.SCIM_TARGET_OAUTH_SCOPE } : {}),
    };
    const missing = Object.entries({
      SCIM_TARGET_TOKEN_URL: cc.tokenUrl,
      SCIM_TARGET_CLIENT_ID: cc.clientId,
      SCIM_TARGET_CLIENT_SECRET: cc.clientSecret,
    }).filter(([, v]) => !v);
    if (missing.length) problems.push(`client credentials also need ${missing.map(([k]) => k).join(", ")}`);
    auth = { clientCredentials: cc };
  } else {
    problems.push(
      "SCIM_TARGET_URL is set but no credentials: set SCIM_TARGET_TOKEN, or SCIM_TARGET_TOKEN_URL, " +
        "SCIM_TARGET_CLIENT_ID and SCIM_TARGET_CLIENT_SECRET",
    );
  }
  if (problems.length) throw new ConfigError(problems);
  const result = ScimTargetConfig.safeParse({ name: "scim", kind: "scim", url: env.SCIM_TARGET_URL, auth });
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `scim ${i.path.join(".")}: ${i.message}`));
  }
  return result.data;
}
