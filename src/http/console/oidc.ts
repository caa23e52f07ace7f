// The console's sign-in through the organisation's IdP: OpenID Connect, authorization code with PKCE (openid-client).
// The redirect URI is PUBLIC_URL + /console/oidc/callback. The person's role comes from one claim (groups or app
// roles) mapped by configuration; without a mapped value the sign-in is refused.
import type { Request, Response } from "express";
import * as oidc from "openid-client";
import type { ConsoleOidcConfig } from "../../config/operator-auth.ts";
import { ROLES, type Role } from "../../sync/actions/index.ts";
import type { SignedIn } from "./session.ts";

export const CALLBACK_PATH = "/console/oidc/callback";
/** The state, nonce and PKCE verifier between the redirect to the IdP and its answer (10 minutes at most). */
const PENDING_COOKIE = "scim_bridge_oidc";
const PENDING_MS = 10 * 60_000;

export type OidcResult = SignedIn | { refused: string; reason: string; who?: Partial<SignedIn> };

interface Pending {
  state: string;
  nonce: string;
  verifier: string;
  next: string;
}

/** The highest role any of the claim's values maps to. */
export function roleFromClaim(cfg: Pick<ConsoleOidcConfig, "roles">, value: unknown): Role | undefined {
  const values = new Set(
    (Array.isArray(value) ? value : value === undefined || value === null ? [] : [value]).map(String),
  );
  return [...ROLES].reverse().find((role) => cfg.roles[role].some((v) => values.has(v)));
}

function pendingOf(req: Request): Pending | undefined {
  for (const part of (req.get("cookie") ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === PENDING_COOKIE) {
      try {
        const p = JSON.parse(Buffer.from(part.slice(i + 1).trim(), "base64url").toString("utf8"));
        if (typeof p?.state === "string" && typeof p.nonce === "string" && typeof p.verifier === "string")
          return { state: p.state, nonce: p.nonce, verifier: p.verifier, next: String(p.next ?? "/console") };
      } catch {}
    }
  }
  return undefined;
}

export function oidcSignIn(cfg: ConsoleOidcConfig, publicUrl: string | undefined) {
  let discovered: Promise<oidc.Configuration> | undefined;
  const configuration = () => {
    discovered ??= oidc
      .discovery(
        new URL(cfg.issuer),
        cfg.clientId,
        undefined,
        cfg.clientSecret ? oidc.ClientSecretPost(cfg.clientSecret) : oidc.None(),
        {
          // The schema allows http:// only on the loopback address.
          ...(cfg.issuer.startsWith("http:") ? { execute: [oidc.allowInsecureRequests] } : {}),
        },
      )
      .catch((e) => {
        discovered = undefined;
        throw e;
      });
    return discovered;
  };
  const redirectUri = (req: Request) =>
    `${(publicUrl ?? `${req.protocol}://${req.get("host")}`).replace(/\/$/, "")}${CALLBACK_PATH}`;

  /** Sends the browser to the IdP. */
  async function start(req: Request, res: Response, next: string) {
    const config = await configuration();
    const pending: Pending = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier: oidc.randomPKCECodeVerifier(),
      next,
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri(req),
      scope: cfg.scopes.join(" "),
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: "S256",
    });
    // Lax, not Strict: the IdP's redirect back is a cross-site navigation, which must carry it.
    res.cookie(PENDING_COOKIE, Buffer.from(JSON.stringify(pending)).toString("base64url"), {
      httpOnly: true,
      sameSite: "lax",
      secure: req.secure,
      path: "/console/oidc",
      maxAge: PENDING_MS,
    });
    res.redirect(303, url.href);
  }

  /** Completes the sign-in from the IdP's answer: the person and role, or why not. */
  async function callback(req: Request, res: Response): Promise<{ result: OidcResult; next: string }> {
    const pending = pendingOf(req);
    res.clearCookie(PENDING_COOKIE, { path: "/console/oidc", secure: req.secure });
    const next = pending?.next ?? "/console";
    const refuse = (reason: string, refused: string, who?: Partial<SignedIn>) => ({
      result: { reason, refused, ...(who ? { who } : {}) },
      next,
    });
    const error = typeof req.query.error === "string" ? req.query.error.slice(0, 100) : undefined;
    if (error)
      return refuse(
        "idp-refused",
        `The sign-in service refused the sign-in (${error}${typeof req.query.error_description === "string" ? `: ${req.query.error_description.slice(0, 200)}` : ""}).`,
      );
    if (!pending || req.query.state !== pending.state)
      return refuse(
        "state-mismatch",
        "This sign-in answer does not belong to a sign-in started here (or it took longer than 10 minutes). Sign in again.",
      );
    let claims: Record<string, unknown>;
    try {
      const config = await configuration();
      const search = new URL(req.originalUrl, "http://x").search;
      const tokens = await oidc.authorizationCodeGrant(config, new URL(`${redirectUri(req)}${search}`), {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      claims = { ...tokens.claims() };
      // Some IdPs put groups or roles only in the userinfo answer.
      if (claims[cfg.roleClaim] === undefined && config.serverMetadata().userinfo_endpoint)
        claims = {
          ...(await oidc.fetchUserInfo(config, tokens.access_token, String(claims.sub))),
          ...claims,
        };
    } catch (e) {
      const code = (e as { code?: unknown; error?: unknown }).error ?? (e as { code?: unknown }).code;
      return refuse(
        "oidc-error",
        `The sign-in could not be completed with the sign-in service${typeof code === "string" ? ` (${code})` : ""}. Try again; if it persists, the bridge's log and the IdP's sign-in log say more.`,
      );
    }
    const subject = String(claims.sub);
    const email =
      typeof claims.email === "string"
        ? claims.email
        : typeof claims.preferred_username === "string"
          ? claims.preferred_username
          : undefined;
    const who = { actor: email ?? subject, subject, ...(email ? { email } : {}) };
    const role = roleFromClaim(cfg, claims[cfg.roleClaim]);
    if (!role)
      return refuse(
        "no-role",
        `${who.actor} signed in, but none of their ${cfg.roleClaim} gives a role in this console. Ask an administrator to add you to a group mapped to viewer, operator or admin.`,
        who,
      );
    return { result: { ...who, kind: "oidc", role }, next };
  }

  return { start, callback };
}
