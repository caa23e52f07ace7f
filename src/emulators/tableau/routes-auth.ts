/** serverInfo, sign-in, sign-out, and the current site. */
import type { Session } from "./auth.ts";
import { badRequest, signInError, versionTooLow } from "./errors.ts";
import { optString, type RequestContext, type Route, requireObject } from "./router.ts";
import { siteView } from "./views.ts";

/** JWT (connected app) sign-in exists from REST API 3.17. */
const JWT_MIN_VERSION = 17;

function signIn(ctx: RequestContext) {
  const creds = requireObject(ctx.body, "credentials");
  const siteObj = creds.site;
  const contentUrl =
    siteObj && typeof siteObj === "object" && !Array.isArray(siteObj)
      ? (optString(siteObj, "contentUrl") ?? "")
      : "";
  const site = ctx.state.findSite(contentUrl);
  if (!site) throw signInError(`Error signing in to Tableau Server: site '${contentUrl}' was not found.`);
  const jwt = optString(creds, "jwt");
  const patName = optString(creds, "personalAccessTokenName");
  let session: Session;
  if (jwt !== undefined) {
    if (ctx.version < JWT_MIN_VERSION) throw versionTooLow("JWT sign-in", "3.17", ctx.versionText);
    session = ctx.sessions.signInWithJwt(jwt, site);
  } else if (patName !== undefined) {
    session = ctx.sessions.signInWithPat(patName, optString(creds, "personalAccessTokenSecret") ?? "", site);
  } else if (optString(creds, "name") !== undefined) {
    throw signInError(
      "Error signing in to Tableau Server: this emulator accepts personal access tokens and JWTs only.",
    );
  } else {
    throw badRequest("The credentials element has neither a personal access token nor a jwt.");
  }
  return {
    status: 200,
    body: {
      credentials: {
        site: { id: site.id, contentUrl: site.contentUrl },
        user: { id: session.userId },
        token: session.token,
        estimatedTimeToExpiration: ctx.sessions.timeToExpiration(session),
      },
    },
  };
}

export const authRoutes: Route[] = [
  {
    method: "GET",
    path: "/serverInfo",
    auth: false,
    handler: (ctx) => ({
      status: 200,
      body: {
        serverInfo: {
          productVersion: {
            value: ctx.opts.productVersion,
            build: `${ctx.opts.productVersion.replace(/\./g, "")}.emulator`,
          },
          restApiVersion: ctx.opts.apiVersion,
        },
      },
    }),
  },
  { method: "POST", path: "/auth/signin", auth: false, handler: signIn },
  {
    method: "POST",
    path: "/auth/signout",
    auth: true,
    handler: (ctx) => {
      ctx.sessions.signOut(ctx.session?.token);
      return { status: 204 };
    },
  },
  {
    method: "GET",
    path: "/sites/:siteId",
    auth: true,
    handler: (ctx) => ({ status: 200, body: { site: siteView(ctx.site!) } }),
  },
];
