// The browser console at /console: server-rendered pages over the admin API's store functions, one stylesheet
// and one small script from this folder. No build step, nothing from a CDN.
import { fileURLToPath } from "node:url";
import express, { type ErrorRequestHandler, type Request, type Response, Router } from "express";
import { rateLimit } from "express-rate-limit";
import type { Logger } from "pino";
import type { Counter } from "prom-client";
import type { ConsoleOidcConfig } from "../../config/operator-auth.ts";
import { BridgeError, loggableError } from "../../errors.ts";
import type { NamedToken } from "../auth.ts";
import type { AdminCredential } from "../operator-auth.ts";
import { auditRoutes } from "./audit.ts";
import { type ConsoleDeps, sendPage } from "./context.ts";
import { deliveryRoutes } from "./deliveries.ts";
import { exportRoutes } from "./export.ts";
import { failureRoutes } from "./failures.ts";
import { type Html, html, layout } from "./html.ts";
import { oidcSignIn } from "./oidc.ts";
import { overviewRoutes } from "./overview.ts";
import { personLogRoutes } from "./person-log.ts";
import { resourceRoutes } from "./resources.ts";
import { runRoutes } from "./runs.ts";
import { ConsoleAuthError, consoleSessions, sameOriginPosts } from "./session.ts";
import { workRoutes } from "./work.ts";

export type { ConsoleDeps } from "./context.ts";

export interface ConsoleOptions extends ConsoleDeps {
  /** Admin tokens that open the console (named ones with their role, the break-glass one as admin). */
  adminTokens: () => AdminCredential[];
  /** Sign-in through the organisation's IdP (OpenID Connect). */
  oidc?: ConsoleOidcConfig | undefined;
  /** PUBLIC_URL: the redirect URI is built on it (else on the request's own address). */
  publicUrl?: string | undefined;
  /** Counts refused sign-ins (door "console"). */
  authFailures?: Counter<"door" | "reason"> | undefined;
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

interface SignInChoices {
  /** The IdP button's label, when OpenID Connect is configured. */
  oidc?: string | undefined;
  /** Whether any admin token may open the console. */
  token: boolean;
}

function signInPage(choices: SignInChoices, message?: string, next = "/console", status = 200) {
  const idp: Html | string = choices.oidc
    ? html`<p><a class="button" href="/console/oidc/start?next=${encodeURIComponent(next)}">Sign in with ${choices.oidc}</a></p>`
    : "";
  const token: Html | string = choices.token
    ? html`${choices.oidc ? html`<h2>Break-glass: an admin token</h2>` : ""}<form method="post" action="/console/sign-in">
  <input type="hidden" name="next" value="${next}">
  <p class="field"><label for="token">Admin token</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required ${choices.oidc ? "" : html`autofocus`}
    aria-describedby="token-help"></p>
  <p id="token-help" class="muted">An admin API token: <code>ADMIN_TOKEN</code>, the file
  <code>data/admin-token</code> of a zero-configuration start, or a named admin token. The SCIM token does not open the console.</p>
  <button type="submit">Sign in</button>
</form>`
    : "";
  return {
    status,
    body: layout({
      title: "Sign in",
      body: html`<section class="signin card">
<h1>Sign in to the console</h1>
${message ? html`<p class="error" role="alert">${message}</p>` : ""}
${idp}${token}${!choices.oidc && !choices.token ? html`<p>No way to sign in is configured: set <code>auth.console.oidc</code> or an admin token (README "Operators' sign-in").</p>` : ""}
</section>`,
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
    failures: opts.authFailures,
  });
  const oidc = opts.oidc ? oidcSignIn(opts.oidc, opts.publicUrl) : undefined;
  const choices = (): SignInChoices => ({ oidc: opts.oidc?.label, token: opts.adminTokens().length > 0 });
  const page = (res: Response, p: { status: number; body: string }) =>
    res.status(p.status).type("html").setHeader("Cache-Control", "no-store").send(p.body);
  router.use("/assets", express.static(ASSETS, { index: false, fallthrough: false, maxAge: "1h" }));
  router.use(express.urlencoded({ extended: false, limit: "100kb", parameterLimit: 5000 }));
  router.use(sameOriginPosts);

  router.get("/sign-in", (req, res) => {
    page(
      res,
      signInPage(
        choices(),
        req.query.expired ? "Your session has expired or was signed out; sign in again." : undefined,
        nextPath(req.query.next),
      ),
    );
  });
  if (oidc) {
    router.get("/oidc/start", async (req, res) => {
      try {
        await oidc.start(req, res, nextPath(req.query.next));
      } catch {
        const message = `The sign-in service (${opts.oidc?.issuer}) cannot be reached or did not answer its discovery document; try again, or use the break-glass admin token.`;
        await sessions.refused(req, res, "oidc", "idp-unreachable", message);
        page(res, signInPage(choices(), message, nextPath(req.query.next), 503));
      }
    });
    router.get("/oidc/callback", async (req, res) => {
      const answer = await oidc.callback(req, res);
      const { result } = answer;
      // Checked again: the pending cookie is ours, but a path is only ever followed after checking it.
      const next = nextPath(answer.next);
      if ("refused" in result) {
        await sessions.refused(req, res, "oidc", result.reason, result.refused, result.who);
        page(res, signInPage(choices(), result.refused, next, result.reason === "no-role" ? 403 : 401));
        return;
      }
      await sessions.signIn(req, res, result);
      // A page, not a redirect: after the IdP's cross-site redirect a browser would not send the SameSite=Strict
      // session cookie along a redirect chain; a navigation this page starts is same-site.
      res
        .type("html")
        .setHeader("Cache-Control", "no-store")
        .send(
          `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${html`${next}`.value}"><title>Signed in</title></head><body><p>Signed in. <a href="${html`${next}`.value}">Continue to the console</a>.</p></body></html>`,
        );
    });
  }
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
        opts.authFailures?.inc({ door: "console", reason: "rate-limited" });
        page(
          res,
          signInPage(
            choices(),
            "Too many sign-in attempts from here; wait a minute and try again.",
            "/console",
            429,
          ),
        );
      },
    }),
    async (req, res) => {
      const token = typeof req.body?.token === "string" ? req.body.token.trim() : "";
      const result = sessions.checkToken(token);
      if ("refused" in result) {
        await sessions.refused(req, res, "token", result.reason, result.refused);
        page(res, signInPage(choices(), result.refused, nextPath(req.body?.next), 401));
        return;
      }
      await sessions.signIn(req, res, result);
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
  personLogRoutes(router, ctx);
  workRoutes(router, ctx);
  failureRoutes(router, ctx);
  runRoutes(router, ctx);
  exportRoutes(router, ctx);
  auditRoutes(router, ctx);
  deliveryRoutes(router, ctx);

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
