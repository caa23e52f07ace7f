// Signing in to Tableau and sharing the session.
//
// A personal access token cannot be used concurrently: every sign-in with it ends the session the
// previous sign-in opened (reference §1.2). So all work of one target shares ONE session, and when a
// call gets 401 only the first caller signs in again; the others await that same sign-in.
// With several bridge processes (or a bridge plus someone's script) on one PAT, each sign-in still
// kills the others' sessions and they keep evicting each other. A connected app (JWT) has no such
// limit, since every JWT sign-in opens an independent session: use JWT when several processes run.
import { createHmac, randomUUID } from "node:crypto";
import type { RetryPolicy } from "../../kind.ts";
import { SignIns } from "../../shared/signins.ts";
import type { TableauTargetConfig } from "../config.ts";
import { TableauError } from "./errors.ts";

export interface TableauSession {
  token: string;
  siteId: string;
  /** The signed-in user (the PAT owner or the JWT subject). */
  userId: string;
}

/**
 * Posts an unauthenticated JSON body to a path under /api/{version} and returns the parsed answer. The body is
 * built per attempt, so that a retried sign-in carries a fresh JWT (Tableau refuses a replayed jti).
 */
export type SignInPost = (path: string, body: () => unknown) => Promise<unknown>;

export type TableauAuthConfig = TableauTargetConfig["auth"];

/** An HS256 JWT for a connected app with direct trust; a fresh jti each time, as Tableau rejects replays. */
export function connectedAppJwt(
  app: { clientId: string; secretId: string; secretValue: string; username: string; scopes: string[] },
  nowS = Math.floor(Date.now() / 1000),
): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const head = b64({ alg: "HS256", typ: "JWT", kid: app.secretId, iss: app.clientId });
  const claims = b64({
    iss: app.clientId,
    sub: app.username,
    aud: "tableau",
    // Tableau accepts at most 10 minutes; the JWT is only used once, for this sign-in.
    exp: nowS + 300,
    iat: nowS,
    jti: randomUUID(),
    scp: app.scopes,
  });
  const sig = createHmac("sha256", app.secretValue).update(`${head}.${claims}`).digest("base64url");
  return `${head}.${claims}.${sig}`;
}

export class TableauAuth {
  /** Sign-ins performed by this target (for logs and tests). */
  signIns = 0;
  /** Each sign-in's result, for the bridge's shared sign-in history. */
  readonly results: SignIns;
  readonly method: "pat" | "jwt";
  private readonly auth: TableauAuthConfig;
  private readonly site: string;
  private readonly post: SignInPost;
  private current: Promise<TableauSession> | undefined;
  private currentToken: string | undefined;

  constructor(auth: TableauAuthConfig, site: string, post: SignInPost, retry: RetryPolicy) {
    this.results = new SignIns(retry);
    this.auth = auth;
    this.site = site;
    this.post = post;
    this.method = "pat" in auth ? "pat" : "jwt";
  }

  /** The shared session, signing in on first use. */
  session(): Promise<TableauSession> {
    this.current ??= this.signIn();
    return this.current;
  }

  /**
   * A call with `staleToken` got 401. Sign in again unless someone already did: concurrent 401s on
   * the same token all await one sign-in.
   */
  renew(staleToken: string): Promise<TableauSession> {
    if (this.current && this.currentToken !== undefined && this.currentToken !== staleToken)
      return this.current;
    if (this.current && this.currentToken === undefined) return this.current; // a sign-in is under way
    this.current = this.signIn();
    return this.current;
  }

  /** The current token if signed in, without signing in. */
  get token(): string | undefined {
    return this.currentToken;
  }

  forget(): void {
    this.current = undefined;
    this.currentToken = undefined;
  }

  private signIn(): Promise<TableauSession> {
    this.currentToken = undefined;
    this.signIns++;
    const credentials = () =>
      "pat" in this.auth
        ? {
            personalAccessTokenName: this.auth.pat.name,
            personalAccessTokenSecret: this.auth.pat.secret,
            site: { contentUrl: this.site },
          }
        : { jwt: connectedAppJwt(this.auth.jwt), site: { contentUrl: this.site } };
    const p: Promise<TableauSession> = this.post("/auth/signin", () => ({ credentials: credentials() })).then(
      (body) => {
        const c = (
          body as { credentials?: { token?: string; site?: { id?: string }; user?: { id?: string } } }
        )?.credentials;
        if (!c?.token || !c.site?.id) throw new Error("Tableau's sign-in answer has no token or site id");
        const s: TableauSession = { token: c.token, siteId: c.site.id, userId: c.user?.id ?? "" };
        if (this.current === p) this.currentToken = s.token;
        this.results.report("ok");
        return s;
      },
      (e: unknown) => {
        // A refusal here is about the credentials, not about any one operation.
        if (e instanceof TableauError) {
          e.phase = "signin";
          this.results.failed(e.status);
        }
        throw e;
      },
    );
    // A failed sign-in is not cached: the next call tries again.
    p.catch(() => {
      if (this.current === p) this.forget();
    });
    return p;
  }
}
