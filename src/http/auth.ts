// Bearer authentication: several named tokens valid at once (rotation), compared in constant time.
import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import { BridgeError } from "../errors.ts";

export interface NamedToken {
  name: string;
  token: string;
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Returns the name of the matching token. Compares against every token so timing says nothing about which. */
export function matchToken(tokens: NamedToken[], presented: string): string | undefined {
  const p = digest(presented);
  let found: string | undefined;
  for (const t of tokens) if (timingSafeEqual(digest(t.token), p) && !found) found = t.name;
  return found;
}

/**
 * Failed authentications per client address in a fixed one-minute window. Past the limit, a request with a wrong
 * or missing token gets 429 instead of 401, so guessing tokens is slow; a request with a valid token always
 * passes, so an attacker sharing an address (NAT) with the IdP cannot lock the IdP out.
 */
export class AuthFailureLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  readonly perMinute: number;

  constructor(perMinute: number) {
    this.perMinute = perMinute;
  }

  /** Counts one failure; returns the seconds to wait when the address is over the limit. */
  fail(address: string, now = Date.now()): number | undefined {
    if (this.windows.size > 10_000) {
      for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
    }
    let w = this.windows.get(address);
    if (!w || w.resetAt <= now) {
      w = { count: 0, resetAt: now + 60_000 };
      this.windows.set(address, w);
    }
    w.count++;
    return w.count > this.perMinute ? Math.max(1, Math.ceil((w.resetAt - now) / 1000)) : undefined;
  }
}

export function bearerAuth(
  tokens: () => NamedToken[],
  realm: string,
  limiter?: AuthFailureLimiter,
): RequestHandler {
  return (req, res, next) => {
    const header = req.get("authorization") ?? "";
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const name = m ? matchToken(tokens(), m[1]!) : undefined;
    if (!name) {
      const wait = limiter?.fail(req.ip ?? req.socket.remoteAddress ?? "unknown");
      if (wait !== undefined) {
        return next(
          new BridgeError(
            "SCIM_RATE_LIMITED",
            `Too many failed authentications from this address (limit ${limiter!.perMinute} per minute); retry after ${wait} s`,
            { "Retry-After": String(wait) },
          ),
        );
      }
      return next(
        new BridgeError(
          "SCIM_UNAUTHORIZED",
          m
            ? `The bearer token is not valid for ${realm}`
            : `Authentication required: send "Authorization: Bearer <token>" for ${realm}`,
        ),
      );
    }
    res.locals.actor = name;
    next();
  };
}
