// Console sessions: a sign-in (a person through the IdP, or an admin token) is exchanged once for a random session id
// in an HttpOnly, SameSite=Strict cookie (Secure when the request came over HTTPS), stored hashed in the database so
// every bridge process on it accepts the session and sign-out ends it everywhere. Every POST carries the session's
// CSRF token. Sign-in, sign-out and refused sign-ins are audited.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { Logger } from "pino";
import type { Counter } from "prom-client";
import {
  type ConsoleSessionKind,
  createConsoleSession,
  type Db,
  deleteConsoleSession,
  setConsoleFlash,
  takeConsoleSession,
  writeAudit,
} from "../../store/index.ts";
import type { Actor, Role } from "../../sync/actions/index.ts";
import { matchToken, type NamedToken } from "../auth.ts";
import { type AdminCredential, clientAddress, matchAdminToken } from "../operator-auth.ts";

const COOKIE = "scim_bridge_console";
// Over HTTPS the __Host- prefix also pins the cookie to this host and path "/" (no subdomain can set it).
const SECURE_COOKIE = `__Host-${COOKIE}`;

export interface SessionLocals {
  actor: string;
  csrf: string;
  flash: string | null;
  idHash: string;
  kind: ConsoleSessionKind;
  role: Role;
  subject: string | null;
  email: string | null;
}

/** Who signed in, as a session records it. */
export interface SignedIn {
  actor: string;
  kind: ConsoleSessionKind;
  role: Role;
  subject?: string | undefined;
  email?: string | undefined;
}

/** The operator behind a console request, for the operator actions. */
export function consoleActor(req: Request, res: Response): Actor {
  const s = res.locals.session as SessionLocals;
  return {
    name: s.actor,
    role: s.role,
    ...(s.subject ? { subject: s.subject } : {}),
    ...(s.email ? { email: s.email } : {}),
    source: clientAddress(req),
    door: "console",
    requestId: res.locals.requestId,
  };
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
  adminTokens: () => AdminCredential[];
  scimTokens: () => NamedToken[];
  sessionMinutes: number;
  /** Counts refused sign-ins (door "console"). */
  failures?: Counter<"door" | "reason"> | undefined;
}

export function consoleSessions(opts: SessionOptions) {
  const sessionId = (req: Request) => {
    const c = cookies(req);
    return req.secure ? (c.get(SECURE_COOKIE) ?? c.get(COOKIE)) : c.get(COOKIE);
  };

  /** The result of a sign-in attempt with a token: who, or the reason it was refused (with a metrics reason). */
  function checkToken(token: string): SignedIn | { refused: string; reason: string } {
    const cred = token ? matchAdminToken(opts.adminTokens(), token) : undefined;
    if (cred) return { actor: cred.name, kind: "token", role: cred.role };
    if (token && matchToken(opts.scimTokens(), token))
      return {
        reason: "scim-token",
        refused:
          "That is a SCIM token. The console opens with an admin token (ADMIN_TOKEN, the file data/admin-token, or a named admin token).",
      };
    return {
      reason: token ? "invalid-token" : "missing",
      refused:
        "That token is not an admin token. Paste an admin token (ADMIN_TOKEN, the file data/admin-token, or a named admin token).",
    };
  }

  /** Audits and counts a refused sign-in; `who` is what is known of the person (never a presented secret). */
  async function refused(
    req: Request,
    res: Response,
    how: string,
    reason: string,
    message: string,
    who?: Partial<SignedIn>,
  ) {
    opts.failures?.inc({ door: "console", reason });
    // Never the presented token: the door, the reason and where it came from.
    (res.locals.logger as Logger | undefined)?.warn(
      { door: "console", method: how, reason, source: clientAddress(req) },
      "sign-in refused",
    );
    await writeAudit(opts.db, [
      {
        requestId: res.locals.requestId,
        actor: who?.actor ?? null,
        actorSubject: who?.subject,
        source: clientAddress(req),
        action: "console.sign-in",
        outcome: "refused",
        detail: { method: how, reason, message, ...(who?.email ? { email: who.email } : {}) },
      },
    ]);
  }

  async function signIn(req: Request, res: Response, who: SignedIn) {
    const id = randomBytes(32).toString("base64url");
    const expires = new Date(Date.now() + opts.sessionMinutes * 60_000);
    await createConsoleSession(opts.db, {
      idHash: hash(id),
      actor: who.actor,
      kind: who.kind,
      role: who.role,
      subject: who.subject,
      email: who.email,
      csrf: randomBytes(24).toString("base64url"),
      expires,
    });
    await writeAudit(opts.db, [
      {
        requestId: res.locals.requestId,
        actor: who.actor,
        actorSubject: who.subject,
        source: clientAddress(req),
        action: "console.sign-in",
        outcome: "ok",
        detail: { method: who.kind, role: who.role, ...(who.email ? { email: who.email } : {}) },
      },
    ]);
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
    const s = res.locals.session as SessionLocals | undefined;
    if (s)
      await writeAudit(opts.db, [
        {
          requestId: res.locals.requestId,
          actor: s.actor,
          actorSubject: s.subject,
          source: clientAddress(req),
          action: "console.sign-out",
          outcome: "ok",
          detail: { method: s.kind, role: s.role, ...(s.email ? { email: s.email } : {}) },
        },
      ]);
    res.clearCookie(req.secure ? SECURE_COOKIE : COOKIE, { path: "/", secure: req.secure });
  }

  /** Loads the session into res.locals.session, or throws ConsoleAuthError(401). POSTs must carry its CSRF token. */
  const requireSession: RequestHandler = async (req: Request, res: Response, next: NextFunction) => {
    const id = sessionId(req);
    const s = id ? await takeConsoleSession(opts.db, hash(id)) : undefined;
    // A token's session ends with its token, and carries the token's current role: removing an admin token from the
    // configuration signs its holders out. A person's session carries the role the IdP's claim gave at sign-in.
    const cred = s?.kind === "token" ? opts.adminTokens().find((t) => t.name === s.actor) : undefined;
    if (!s || (s.kind === "token" && !cred)) {
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
      kind: s.kind,
      role: cred?.role ?? (s.role as Role),
      subject: s.subject,
      email: s.email,
    } satisfies SessionLocals;
    next();
  };

  /** A notice for the next page this session loads (post → redirect → get). */
  const flash = (res: Response, message: string) =>
    setConsoleFlash(opts.db, (res.locals.session as SessionLocals).idHash, message);

  return { checkToken, refused, signIn, signOut, requireSession, flash };
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
