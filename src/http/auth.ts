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

export function bearerAuth(tokens: () => NamedToken[], realm: string): RequestHandler {
  return (req, res, next) => {
    const header = req.get("authorization") ?? "";
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const name = m ? matchToken(tokens(), m[1]!) : undefined;
    if (!name) {
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
