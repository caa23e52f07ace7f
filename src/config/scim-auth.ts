// `auth.scim`: the named credentials an IdP or a script may present at /scim/v2 (and /oauth/token). Each has a name
// (the audit actor and the metrics label), permissions, an optional address allow-list and one kind of secret.
import { isIP } from "node:net";
import { z } from "zod";

const sha256Hex = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, "the SHA-256 of the secret as 64 hex characters (sha256sum)")
  .transform((s) => s.toLowerCase());

/** `10.0.0.0/8`, `2001:db8::/32`, or a single address. */
const cidr = z.string().refine((s) => {
  const [address, prefix, extra] = s.split("/");
  const family = isIP(address ?? "");
  if (!family || extra !== undefined) return false;
  if (prefix === undefined) return true;
  const n = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && n <= (family === 4 ? 32 : 128);
}, "an IPv4 or IPv6 address or CIDR range, e.g. 10.0.0.0/8 or 2001:db8::/32");

export const SCIM_RESOURCE_TYPES = ["Users", "Groups"] as const;
export type ScimResourceTypeName = (typeof SCIM_RESOURCE_TYPES)[number];

const common = {
  name: z.string().min(1).max(100),
  /** read: GET and POST …/.search only; write (default): everything. */
  permissions: z.enum(["read", "write"]).default("write"),
  /** Limits the credential to these resource types (default both). */
  resourceTypes: z.array(z.enum(SCIM_RESOURCE_TYPES)).min(1).optional(),
  /** Client addresses allowed to use the credential (as TRUST_PROXY says); default anywhere. */
  allow: z.array(cidr).min(1).optional(),
};

/** Exactly one of the plain secret and its SHA-256, so a config file may hold no secret at all. */
function oneSecret<T extends z.ZodRawShape>(shape: T, plain: string, hashed: string) {
  return z.strictObject(shape).superRefine((c, ctx) => {
    const has = (k: string) => (c as Record<string, unknown>)[k] !== undefined;
    if (has(plain) === has(hashed))
      ctx.addIssue({ code: "custom", message: `give exactly one of ${plain} and ${hashed}` });
  });
}

const Bearer = oneSecret(
  {
    ...common,
    kind: z.literal("bearer"),
    token: z.string().min(16).optional(),
    tokenSha256: sha256Hex.optional(),
  },
  "token",
  "tokenSha256",
);

const Basic = oneSecret(
  {
    ...common,
    kind: z.literal("basic"),
    username: z
      .string()
      .min(1)
      .refine((s) => !s.includes(":"), "a Basic username cannot contain ':'"),
    password: z.string().min(16).optional(),
    passwordSha256: sha256Hex.optional(),
  },
  "password",
  "passwordSha256",
);

const ClientCredentials = oneSecret(
  {
    ...common,
    kind: z.literal("clientCredentials"),
    clientId: z.string().min(1),
    clientSecret: z.string().min(16).optional(),
    clientSecretSha256: sha256Hex.optional(),
    /** Lifetime of the access tokens /oauth/token issues to this client. */
    accessTokenSeconds: z.coerce.number().int().min(60).max(86_400).default(3600),
    /** Scopes the client may ask for (echoed in the answer); without it, a request naming a scope is refused. */
    scopes: z.array(z.string().min(1)).optional(),
  },
  "clientSecret",
  "clientSecretSha256",
);

/** Asymmetric algorithms only: an HMAC algorithm would let anyone holding the issuer's public key sign. */
export const JWT_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
] as const;

/** The application template id of every non-gallery Entra app: the audience of the tokens Entra issues for it. */
export const ENTRA_CUSTOM_APP_AUDIENCE = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621";

const Jwt = z
  .strictObject({
    ...common,
    kind: z.literal("jwt"),
    issuer: z.string().url().optional(),
    /** Without it, the keys come from the issuer's /.well-known/openid-configuration (jwks_uri). */
    jwksUri: z.string().url().optional(),
    /** Shortcut for the tokens Microsoft Entra ID's provisioning service sends when Secret Token is left blank. */
    entraTenantId: z.string().uuid().optional(),
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    algorithms: z.array(z.enum(JWT_ALGORITHMS)).min(1).default(["RS256"]),
    clockSkewSeconds: z.coerce.number().int().min(0).max(300).default(60),
    /** Claims the token must carry with exactly these values (an array claim must contain the value). */
    requiredClaims: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  })
  .superRefine((c, ctx) => {
    if (!c.issuer === !c.entraTenantId)
      ctx.addIssue({ code: "custom", message: "give exactly one of issuer and entraTenantId" });
    if (c.issuer && !c.audience)
      ctx.addIssue({ code: "custom", message: "audience is required (the value of the tokens' aud claim)" });
  })
  .transform((c) => {
    if (!c.entraTenantId) return { ...c, issuer: c.issuer!, audience: c.audience! };
    const t = c.entraTenantId.toLowerCase();
    return {
      ...c,
      issuer: `https://sts.windows.net/${t}/`,
      jwksUri: c.jwksUri ?? `https://login.microsoftonline.com/${t}/discovery/v2.0/keys`,
      audience: c.audience ?? ENTRA_CUSTOM_APP_AUDIENCE,
      requiredClaims: { tid: t, ...c.requiredClaims },
    };
  });

export const ScimCredentialSchema = z.discriminatedUnion("kind", [Bearer, Basic, ClientCredentials, Jwt]);

export const ScimCredentialsSchema = z
  .array(ScimCredentialSchema)
  .default([])
  .superRefine((list, ctx) => {
    const dup = (what: string, key: (c: (typeof list)[number]) => string | undefined) => {
      const seen = new Set<string>();
      for (const c of list) {
        const k = key(c);
        if (k === undefined) continue;
        if (seen.has(k))
          ctx.addIssue({ code: "custom", message: `${what} ${JSON.stringify(k)} is used twice` });
        seen.add(k);
      }
    };
    dup("name", (c) => c.name);
    dup("Basic username", (c) => (c.kind === "basic" ? c.username : undefined));
    dup("clientId", (c) => (c.kind === "clientCredentials" ? c.clientId : undefined));
  });

export type ScimCredentialConfig = z.infer<typeof ScimCredentialSchema>;
export type ScimCredentialInput = z.input<typeof ScimCredentialSchema>;
