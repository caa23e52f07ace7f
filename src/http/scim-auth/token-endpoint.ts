// POST /oauth/token: the OAuth 2.0 client credentials grant (RFC 6749 §4.4) for `clientCredentials` credentials, with
// client_secret_basic or client_secret_post, answering an access token any bridge process verifies from memory, or
// an RFC 6749 §5.2 error body. Never cached (Cache-Control: no-store).
import express, { type ErrorRequestHandler, type Response, Router } from "express";
import type { Logger } from "pino";
import type { AuditRecord } from "../../store/index.ts";
import type { AuthFailureLimiter } from "../auth.ts";
import { addressAllowed, type ClientCredential } from "./credentials.ts";
import type { ScimAuth } from "./index.ts";
import { type AuthFailures, recordFailure, refusal } from "./refusal.ts";

type OAuthError =
  | "invalid_request"
  | "invalid_client"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope"
  | "temporarily_unavailable";

function noStore(res: Response) {
  res.setHeader("Cache-Control", "no-store");
  res.setHeader("Pragma", "no-cache");
}

function oauthError(res: Response, status: number, error: OAuthError, description: string, headers = {}) {
  noStore(res);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v as string);
  res.status(status).json({ error, error_description: description });
}

/** client_secret_basic: base64 of the form-urlencoded id and secret (RFC 6749 §2.3.1). */
function basicClient(header: string | undefined): { id: string; secret: string } | "malformed" | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/]+=*)\s*$/i.exec(header ?? "");
  if (!m) return header && /^Basic\b/i.test(header) ? "malformed" : undefined;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) return "malformed";
  try {
    const form = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));
    return { id: form(decoded.slice(0, colon)), secret: form(decoded.slice(colon + 1)) };
  } catch {
    return "malformed";
  }
}

export function tokenEndpoint(opts: {
  auth: ScimAuth;
  limiter: AuthFailureLimiter;
  failures: AuthFailures;
  /** Writes the audit row of each token issued or refused (a refusal's is best effort). */
  audit: (record: AuditRecord) => Promise<void>;
}): Router {
  const router = Router();
  router.use(express.urlencoded({ extended: false, limit: "16kb", parameterLimit: 20 }));
  router.post("/", async (req, res) => {
    const logger = res.locals.logger as Logger | undefined;
    // Who asked (the credential's name once known), from where and how it ended; never a secret.
    const auditRecord = (
      actor: string | null,
      outcome: "issued" | "refused",
      reason?: string,
    ): AuditRecord => ({
      requestId: res.locals.requestId as string | undefined,
      actor,
      action: "oauth.token",
      outcome,
      detail: { address: req.ip, ...(reason ? { reason } : {}) },
    });
    const fail = async (
      status: number,
      error: OAuthError,
      reason: string,
      description: string,
      client?: string,
      headers?: Record<string, string>,
    ) => {
      recordFailure(opts.failures, logger, req, "token", refusal(401, reason, description), client);
      // Past the failure limit nothing more is written: the metric counts those. A refusal is answered even when
      // its audit row cannot be written.
      if (status !== 429)
        await opts.audit(auditRecord(client ?? null, "refused", reason)).catch((e: Error) => {
          logger?.warn({ err: { type: e.name, message: e.message } }, "cannot audit a refused token request");
        });
      oauthError(res, status, error, description, headers);
    };
    if (!req.is("application/x-www-form-urlencoded"))
      return fail(
        400,
        "invalid_request",
        "invalid_request",
        "Send the parameters as application/x-www-form-urlencoded",
      );
    const body = (req.body ?? {}) as Record<string, unknown>;
    // RFC 6749 §3.2: a parameter sent twice is invalid.
    const repeated = Object.keys(body).find((k) => typeof body[k] !== "string");
    if (repeated)
      return fail(
        400,
        "invalid_request",
        "invalid_request",
        `The parameter ${repeated} is sent more than once`,
      );
    const p = body as Record<string, string | undefined>;

    const viaHeader = basicClient(req.get("authorization"));
    if (viaHeader === "malformed")
      return fail(
        400,
        "invalid_request",
        "invalid_request",
        "The Authorization header is not valid Basic credentials",
      );
    if (
      viaHeader &&
      (p.client_secret !== undefined || (p.client_id !== undefined && p.client_id !== viaHeader.id))
    )
      return fail(
        400,
        "invalid_request",
        "invalid_request",
        "Authenticate the client one way: Basic or the form body, not both",
      );
    if (!p.grant_type)
      return fail(
        400,
        "invalid_request",
        "invalid_request",
        "grant_type is missing; send grant_type=client_credentials",
      );
    const client =
      viaHeader ??
      (p.client_id !== undefined ? { id: p.client_id, secret: p.client_secret ?? "" } : undefined);
    const challenge = viaHeader
      ? { "WWW-Authenticate": 'Basic realm="scim-bridge", charset="UTF-8"' }
      : undefined;
    if (!client)
      return fail(
        401,
        "invalid_client",
        "missing",
        "Client authentication required: Basic or client_id and client_secret",
        undefined,
        {
          "WWW-Authenticate": 'Basic realm="scim-bridge", charset="UTF-8"',
        },
      );
    const credential: ClientCredential | undefined = opts.auth.credentials.client(client.id, client.secret);
    if (!credential) {
      const wait = opts.limiter.fail(req.ip ?? "unknown");
      const reason = opts.auth.credentials.knowsClient(client.id) ? "wrong_secret" : "unknown_client";
      if (wait !== undefined)
        return fail(
          429,
          "temporarily_unavailable",
          reason,
          `Too many failed authentications from this address; retry after ${wait} s`,
          undefined,
          {
            "Retry-After": String(wait),
          },
        );
      return fail(
        401,
        "invalid_client",
        reason,
        "The client id or secret is not valid",
        undefined,
        challenge,
      );
    }
    if (!addressAllowed(credential, req.ip))
      return fail(
        400,
        "unauthorized_client",
        "address_not_allowed",
        `This client may not ask for tokens from ${req.ip}`,
        credential.name,
      );
    if (p.grant_type !== "client_credentials")
      return fail(
        400,
        "unsupported_grant_type",
        "unsupported_grant_type",
        "Only grant_type=client_credentials is supported",
        credential.name,
      );
    const scopes = p.scope?.split(" ").filter(Boolean) ?? [];
    const unknown = scopes.find((s) => !credential.scopes?.includes(s));
    if (unknown !== undefined)
      return fail(
        400,
        "invalid_scope",
        "invalid_scope",
        `The scope ${JSON.stringify(unknown.slice(0, 40))} is not configured for this client (list it under scopes, or send no scope)`,
        credential.name,
      );
    let token: string;
    try {
      token = await opts.auth.tokenKeys!.issue(credential.name, credential.accessTokenSeconds);
      await opts.audit(auditRecord(credential.name, "issued"));
    } catch (e) {
      logger?.error(
        { err: { type: (e as Error).name, message: (e as Error).message } },
        "cannot issue an access token",
      );
      return oauthError(
        res,
        503,
        "temporarily_unavailable",
        "The token signing key is unavailable; retry later",
        {
          "Retry-After": "5",
        },
      );
    }
    noStore(res);
    res.status(200).json({
      access_token: token,
      token_type: "Bearer",
      expires_in: credential.accessTokenSeconds,
      ...(scopes.length ? { scope: scopes.join(" ") } : {}),
    });
  });
  router.all("/", (_req, res) => {
    res.setHeader("Allow", "POST");
    oauthError(res, 405, "invalid_request", "Use POST");
  });
  const badBody: ErrorRequestHandler = (err, _req, res, _next) => {
    const status = (err as { status?: number }).status === 413 ? 413 : 400;
    oauthError(
      res,
      status,
      "invalid_request",
      status === 413 ? "The request body is too large" : "The request body cannot be read",
    );
  };
  router.use(badBody);
  return router;
}
