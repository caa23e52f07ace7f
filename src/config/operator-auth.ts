// Who may operate the bridge: the console's OpenID Connect sign-in (roles from a claim of the IdP's ID token),
// named admin API tokens with a role each, and the break-glass admin token (ADMIN_TOKEN), which can be switched off.
import { z } from "zod";

const ROLE = z.enum(["viewer", "operator", "admin"]);
const bool = z
  .union([z.boolean(), z.enum(["true", "false", "1", "0", "yes", "no"])])
  .transform((v) => v === true || v === "true" || v === "1" || v === "yes");

/** HTTPS, except on the loopback address (a provider in tests, or one reached through a local tunnel). */
const issuerUrl = z
  .string()
  .url()
  .refine((u) => {
    const url = new URL(u);
    return url.protocol === "https:" || ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  }, "the issuer must be an https:// URL");

const claimValues = z.array(z.string().min(1)).default([]);

export const ConsoleOidcSchema = z.object({
  /** The OpenID provider's issuer; its /.well-known/openid-configuration is read at start. */
  issuer: issuerUrl,
  clientId: z.string().min(1),
  clientSecret: z.string().min(1).optional(),
  scopes: z.array(z.string().min(1)).default(["openid", "profile", "email"]),
  /** The ID token (or userinfo) claim holding the person's groups or app roles, e.g. "groups" or "roles". */
  roleClaim: z.string().min(1).default("groups"),
  /** Claim values that give each role; a person with several gets the highest. */
  roles: z
    .object({ viewer: claimValues, operator: claimValues, admin: claimValues })
    .prefault({})
    .refine((r) => r.viewer.length + r.operator.length + r.admin.length > 0, {
      message: "map at least one claim value to a role (roles.viewer, roles.operator or roles.admin)",
    }),
  /** Sign-in label on the console's button, e.g. "Microsoft Entra ID". */
  label: z.string().min(1).default("your organisation's sign-in"),
});
export type ConsoleOidcConfig = z.infer<typeof ConsoleOidcSchema>;

export const AdminTokenSchema = z
  .object({
    name: z.string().min(1),
    token: z.string().min(16).optional(),
    /** The token's SHA-256 as 64 hex characters, so the config file holds no secret. */
    tokenSha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, "64 hex characters (sha256sum of the token)")
      .optional(),
    role: ROLE,
  })
  .refine((t) => (t.token === undefined) !== (t.tokenSha256 === undefined), {
    message: "give token or tokenSha256, one of them",
  });
export type AdminTokenConfig = z.infer<typeof AdminTokenSchema>;

export const OperatorAuthSchema = {
  console: z.object({ oidc: ConsoleOidcSchema.optional() }).prefault({}),
  admin: z
    .object({
      tokens: z.array(AdminTokenSchema).default([]),
      /** The break-glass admin token (ADMIN_TOKEN, or data/admin-token when none is set); false switches it off. */
      breakGlass: bool.default(true),
    })
    .prefault({}),
};

/** Environment variables of operator sign-in (the secrets among them may be given as NAME_FILE). */
export const OPERATOR_AUTH_ENV: Record<string, readonly string[]> = {
  ADMIN_BREAK_GLASS: ["auth", "admin", "breakGlass"],
  CONSOLE_OIDC_ISSUER: ["auth", "console", "oidc", "issuer"],
  CONSOLE_OIDC_CLIENT_ID: ["auth", "console", "oidc", "clientId"],
  CONSOLE_OIDC_CLIENT_SECRET: ["auth", "console", "oidc", "clientSecret"],
};
export const OPERATOR_AUTH_SECRET_ENV = ["CONSOLE_OIDC_CLIENT_SECRET"];
