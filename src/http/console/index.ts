// The browser console at /console: server-rendered pages over the admin API's store functions, one stylesheet
// and one small script from this folder. No build step, nothing from a CDN.
import { fileURLToPath } from "node:url";
import express, { type ErrorRequestHandler, type Request, Router } from "express";
import { rateLimit } from "express-rate-limit";
import type { Logger } from "pino";
import { BridgeError, loggableError } from "../../errors.ts";
import type { NamedToken } from "../auth.ts";
import { auditRoutes } from "./audit.ts";
import { type ConsoleDeps, sendPage } from "./context.ts";
import { html, layout } from "./html.ts";
import { overviewRoutes } from "./overview.ts";
import { resourceRoutes } from "./resources.ts";
import { runRoutes } from "./runs.ts";
import { ConsoleAuthError, consoleSessions, sameOriginPosts } from "./session.ts";
import { workRoutes } from "./work.ts";

export type { ConsoleDeps } from "./context.ts";

export interface ConsoleOptions extends ConsoleDeps {
  adminTokens: () => NamedToken[];
  /** SCIM tokens are recognised only to say they do not open the console. */
  scimTokens: () => NamedToken[];
  sessionMinutes: number;
}

const ASSETS = fileURLToPath(new URL("./assets/", import.meta.url));

/** Where to go after signing in: a console path only, never another site. */
function nextPath(v: unknown): string {
  return typeof v === "string" &&
    /^\/console(\/[\w\-./]*)?(\?[\w\-.=&%+]*)?$/.test(v) &&
    !v.includes("//") &&
    !v.includes("..")
    ? v
    : "/console";
}

function signInPage(message?: string, next = "/console", status = 200) {
  return {
    status,
    body: layout({
      title: "Sign in",
      body: html`<section class="signin card">
<h1>Sign in to the console</h1>
${message ? html`<p class="error" role="alert">${message}</p>` : ""}
<form method="post" action="/console/sign-in">
  <input type="hidden" name="next" value="${next}">
  <p class="field"><label for="token">Admin token</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required autofocus
    aria-describedby="token-help"></p>
  <p id="token-help" class="muted">The token of the admin API: <code>ADMIN_TOKEN</code>, or the file
  <code>data/admin-token</code> of a zero-configuration start. The SCIM token does not open the console.</p>
  <button type="submit">Sign in</button>
</form></section>`,
    }),
  };
}

export function consoleRouter(opts: ConsoleOptions): Router {
  const router = Router();
  const sessions = consoleSessions({
    db: opts.sync.db,
    adminTokens: opts.adminTokens,
    scimTokens: opts.scimTokens,
    sessionMinutes: opts.sessionMinutes,
  });
  router.use("/assets", express.static(ASSETS, { index: false, fallthrough: false, maxAge: "1h" }));
  router.use(express.urlencoded({ extended: false, limit: "100kb", parameterLimit: 5000 }));
  router.use(sameOriginPosts);

  router.get("/sign-in", (req, res) => {
    const p = signInPage(
      req.query.expired ? "Your session has expired or was signed out; sign in again." : undefined,
      nextPath(req.query.next),
    );
    res.status(p.status).type("html").setHeader("Cache-Control", "no-store").send(p.body);
  });
  router.post(
    "/sign-in",
    // Admin tokens are long random strings, but guessing should still be slow.
    rateLimit({
      windowMs: 60_000,
      limit: 20,
      standardHeaders: "draft-7",
      legacyHeaders: false,
      // Keyed by client address; behind a proxy that is X-Forwarded-For, which TRUST_PROXY says to believe.
      validate: { trustProxy: false },
      handler: (_req, res) => {
        const p = signInPage(
          "Too many sign-in attempts from here; wait a minute and try again.",
          "/console",
          429,
        );
        res.status(p.status).type("html").send(p.body);
      },
    }),
    async (req, res) => {
      const token = typeof req.body?.token === "string" ? req.body.token.trim() : "";
      const result = sessions.checkToken(token);
      if ("refused" in result) {
        const p = signInPage(result.refused, nextPath(req.body?.next), 401);
        res.status(p.status).type("html").setHeader("Cache-Control", "no-store").send(p.body);
        return;
      }
      await sessions.signIn(req, res, result.actor);
      res.redirect(303, nextPath(req.body?.next));
    },
  );

  router.use(sessions.requireSession);
  router.post("/sign-out", async (req, res) => {
    await sessions.signOut(req, res);
    res.redirect(303, "/console/sign-in");
  });
  const ctx = { ...opts, flash: sessions.flash };
  overviewRoutes(router, ctx);
  resourceRoutes(router, ctx);
  workRoutes(router, ctx);
  runRoutes(router, ctx);
  auditRoutes(router, ctx);

  router.use((req, _res, next) => {
    next(new BridgeError("SCIM_NOT_FOUND", `There is no console page at ${req.path}`));
  });
  router.use(consoleErrors);
  return router;
}

const isLive = (req: Request) => req.get("x-console-live") === "1";

/** Console errors are pages (or short fragments for live regions) that say what to do; never a stack trace. */
const consoleErrors: ErrorRequestHandler = (err, req, res, _next) => {
  if (err instanceof ConsoleAuthError) {
    if (err.status === 401 && req.method === "GET" && !isLive(req)) {
      const next = nextPath(req.originalUrl);
      res.redirect(
        303,
        `/console/sign-in?next=${encodeURIComponent(next)}${err.message.startsWith("Your") ? "&expired=1" : ""}`,
      );
      return;
    }
    res
      .status(err.status)
      .type("html")
      .send(
        isLive(req)
          ? err.message
          : layout({
              title: "Not allowed",
              body: html`<h1>Not allowed</h1><p class="error" role="alert">${err.message}</p>
<p><a href="/console">Back to the console</a> · <a href="/console/sign-in">Sign in</a></p>`,
            }),
      );
    return;
  }
  const known = err instanceof BridgeError;
  // body-parser's own errors (a form too large or malformed) carry a 4xx status and a message meant for developers.
  const given = (err as { status?: unknown })?.status;
  const status = known ? err.status : typeof given === "number" && given >= 400 && given < 500 ? given : 500;
  const message = known
    ? err.message
    : status < 500
      ? "The form could not be read (too large or malformed). Reload the page and try again."
      : `Something went wrong on the bridge. Its log has the details under request id ${res.locals.requestId}.`;
  if (status >= 500)
    (res.locals.logger as Logger | undefined)?.error({ err: loggableError(err) }, "console error");
  if (isLive(req) || !res.locals.session) {
    res
      .status(status)
      .type("html")
      .send(
        isLive(req)
          ? html`${message}`.value
          : layout({
              title: "Error",
              body: html`<h1>Error</h1><p class="error" role="alert">${message}</p>`,
            }),
      );
    return;
  }
  res.status(status);
  sendPage(res, {
    title: "Error",
    body: html`<h1>${status === 404 ? "Not found" : "Something is not right"}</h1>
<p class="error" role="alert">${message}</p><p><a href="/console">Back to the overview</a></p>`,
  });
};
