// Admin credentials: named admin API tokens with a role each, and the break-glass token (role admin), which config
// can switch off. Tokens are compared as SHA-256 digests in constant time, so a config file may hold only the hash.
import { createHash, timingSafeEqual } from "node:crypto";
import type { Request, RequestHandler, Response } from "express";
import type { Logger } from "pino";
import type { Counter } from "prom-client";
import type { AdminTokenConfig } from "../config/operator-auth.ts";
import { BridgeError } from "../errors.ts";
import type { Actor, Role } from "../sync/actions/index.ts";
import type { AuthFailureLimiter, NamedToken } from "./auth.ts";

export interface AdminCredential {
  name: string;
  role: Role;
  digest: Buffer;
}

const sha256 = (s: string) => createHash("sha256").update(s).digest();

/** The admin credentials in force: the named tokens, then the break-glass ones (role admin). */
export function adminCredentials(named: AdminTokenConfig[], breakGlass: NamedToken[]): AdminCredential[] {
  return [
    ...named.map((t) => ({
      name: t.name,
      role: t.role,
      digest: t.tokenSha256 ? Buffer.from(t.tokenSha256, "hex") : sha256(t.token!),
    })),
    ...breakGlass.map((t) => ({ name: t.name, role: "admin" as const, digest: sha256(t.token) })),
  ];
}

/** The matching credential; every one is compared, so timing says nothing about which matched. */
export function matchAdminToken(creds: AdminCredential[], presented: string): AdminCredential | undefined {
  const p = sha256(presented);
  let found: AdminCredential | undefined;
  for (const c of creds) if (timingSafeEqual(c.digest, p) && !found) found = c;
  return found;
}

export const clientAddress = (req: Request) => req.ip ?? req.socket.remoteAddress ?? "unknown";

/** The actor of an admin API request (set by adminAuth). */
export const operatorOf = (res: Response) => res.locals.operator as Actor;

export interface AdminAuthOptions {
  credentials: () => AdminCredential[];
  limiter?: AuthFailureLimiter | undefined;
  failures?: Counter<"door" | "reason"> | undefined;
}

/** Bearer authentication of the admin API: sets res.locals.operator (the token's name and role). */
export function adminAuth(opts: AdminAuthOptions): RequestHandler {
  return (req, res, next) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get("authorization") ?? "");
    const cred = m ? matchAdminToken(opts.credentials(), m[1]!) : undefined;
    if (!cred) {
      const wait = opts.limiter?.fail(clientAddress(req));
      const reason = wait !== undefined ? "rate-limited" : m ? "invalid-token" : "missing";
      opts.failures?.inc({ door: "admin", reason });
      // Never the presented token: the door, the reason and where it came from.
      (res.locals.logger as Logger | undefined)?.warn(
        { door: "admin", reason, source: clientAddress(req) },
        "authentication refused",
      );
      if (wait !== undefined)
        return next(
          new BridgeError(
            "SCIM_RATE_LIMITED",
            `Too many failed authentications from this address (limit ${opts.limiter!.perMinute} per minute); retry after ${wait} s`,
            { "Retry-After": String(wait) },
          ),
        );
      return next(
        new BridgeError(
          "SCIM_UNAUTHORIZED",
          m
            ? "The bearer token is not valid for the admin API"
            : 'Authentication required: send "Authorization: Bearer <token>" for the admin API',
        ),
      );
    }
    res.locals.actor = cred.name;
    res.locals.operator = {
      name: cred.name,
      role: cred.role,
      source: clientAddress(req),
      door: "admin-api",
      requestId: res.locals.requestId,
    } satisfies Actor;
    next();
  };
}
