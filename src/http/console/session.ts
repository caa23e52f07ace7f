// Console sign-in: the admin token is exchanged once for a random session id in an HttpOnly, SameSite=Strict
// cookie (Secure when the request came over HTTPS), stored hashed in the database so every bridge process on it
// accepts the session and sign-out ends it everywhere. Every POST carries the session's CSRF token.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import {
  createConsoleSession,
  type Db,
  deleteConsoleSession,
  setConsoleFlash,
  takeConsoleSession,
} from "../../store/index.ts";
import { matchToken, type NamedToken } from "../auth.ts";

const COOKIE = "scim_bridge_console";
// Over HTTPS the __Host- prefix also pins the cookie to this host and path "/" (no subdomain can set it).
const SECURE_COOKIE = `__Host-${COOKIE}`;

export interface SessionLocals {
  actor: string;
  csrf: string;
  flash: string | null;
  idHash: string;
}

/** Thrown for a request without a valid session or CSRF token; the router turns it into a page. */
export class ConsoleAuthError extends Error {
  readonly status: 401 | 403;
  constructor(status: 401 | 403, message: string) {
    super(message);
    this.status = status;
  }
}

const hash = (id: string) => createHash("sha256").update(id).digest("hex");

function cookies(req: Request): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.get("cookie") ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface SessionOptions {
  db: Db;
  adminTokens: () => NamedToken[];
  scimTokens: () => NamedToken[];
  sessionMinutes: number;
}

export function consoleSessions(opts: SessionOptions) {
  const sessionId = (req: Request) => {
    const c = cookies(req);
    return req.secure ? (c.get(SECURE_COOKIE) ?? c.get(COOKIE)) : c.get(COOKIE);
  };

  /** The result of a sign-in attempt: the actor, or the reason it was refused. */
  function checkToken(token: string): { actor: string } | { refused: string } {
    const actor = token ? matchToken(opts.adminTokens(), token) : undefined;
    if (actor) return { actor };
    if (token && matchToken(opts.scimTokens(), token))
      return {
        refused:
          "That is a SCIM token. The console opens with the admin token (ADMIN_TOKEN, or the file data/admin-token).",
      };
    return {
      refused:
        "That token is not an admin token. Paste the admin token (ADMIN_TOKEN, or the file data/admin-token).",
    };
  }

  async function signIn(req: Request, res: Response, actor: string) {
    const id = randomBytes(32).toString("base64url");
    const expires = new Date(Date.now() + opts.sessionMinutes * 60_000);
    await createConsoleSession(opts.db, {
      idHash: hash(id),
      actor,
      csrf: randomBytes(24).toString("base64url"),
      expires,
    });
    res.cookie(req.secure ? SECURE_COOKIE : COOKIE, id, {
      httpOnly: true,
      sameSite: "strict",
      secure: req.secure,
      path: "/",
      expires,
    });
  }

  async function signOut(req: Request, res: Response) {
    const id = sessionId(req);
    if (id) await deleteConsoleSession(opts.db, hash(id));
    res.clearCookie(req.secure ? SECURE_COOKIE : COOKIE, { path: "/", secure: req.secure });
  }

  /** Loads the session into res.locals.session, or throws ConsoleAuthError(401). POSTs must carry its CSRF token. */
  const requireSession: RequestHandler = async (req: Request, res: Response, next: NextFunction) => {
    const id = sessionId(req);
    const s = id ? await takeConsoleSession(opts.db, hash(id)) : undefined;
    // A session ends with its token: removing an admin token from the configuration signs its holders out.
    if (!s || !opts.adminTokens().some((t) => t.name === s.actor)) {
      throw new ConsoleAuthError(401, id ? "Your session has expired or was signed out." : "Sign in first.");
    }
    if (req.method === "POST") {
      const given = typeof req.body?._csrf === "string" ? req.body._csrf : "";
      if (!sameText(given, s.csrf))
        throw new ConsoleAuthError(
          403,
          "This form was not sent by the console page (missing or stale CSRF token). Reload the page and try again.",
        );
    }
    res.locals.session = {
      actor: s.actor,
      csrf: s.csrf,
      flash: s.flash,
      idHash: hash(id!),
    } satisfies SessionLocals;
    next();
  };

  /** A notice for the next page this session loads (post → redirect → get). */
  const flash = (res: Response, message: string) =>
    setConsoleFlash(opts.db, (res.locals.session as SessionLocals).idHash, message);

  return { checkToken, signIn, signOut, requireSession, flash };
}

/**
 * Refuses a POST another site started, sign-in included. Browsers say where a request came from in
 * Sec-Fetch-Site; older ones only in Origin, whose host must then be ours (the scheme may differ behind a proxy).
 */
export const sameOriginPosts: RequestHandler = (req, _res, next) => {
  if (req.method !== "POST") return next();
  const site = req.get("sec-fetch-site");
  const origin = req.get("origin");
  let foreign = false;
  if (site) foreign = site !== "same-origin" && site !== "none";
  else if (origin && origin !== "null") {
    try {
      foreign = new URL(origin).host !== req.get("host");
    } catch {
      foreign = true;
    }
  }
  if (foreign)
    return next(new ConsoleAuthError(403, "Console actions can only be sent from the console's own pages."));
  next();
};
