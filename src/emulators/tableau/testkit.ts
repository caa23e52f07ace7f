/**
 * Helpers for driving the emulator (or a real Tableau) with raw HTTP: mint a connected-app JWT and
 * make JSON or XML calls. Used by the emulator's own tests and by end-to-end tests.
 */
import { createHmac, randomUUID } from "node:crypto";

export interface ConnectedAppJwtInput {
  clientId: string;
  secretId: string;
  secretValue: string;
  /** Site user the token acts as. */
  username: string;
  scopes: string[];
  /** Seconds since epoch; default now. */
  nowS?: number;
  /** Lifetime in seconds; Tableau allows at most 600. */
  ttlS?: number;
  jti?: string;
}

/** An HS256 JWT shaped as Tableau's direct-trust connected apps expect (kid + iss in the header). */
export function signConnectedAppJwt(i: ConnectedAppJwtInput): string {
  const now = i.nowS ?? Math.floor(Date.now() / 1000);
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const head = b64({ alg: "HS256", typ: "JWT", kid: i.secretId, iss: i.clientId });
  const body = b64({
    iss: i.clientId,
    sub: i.username,
    aud: "tableau",
    exp: now + (i.ttlS ?? 300),
    iat: now,
    jti: i.jti ?? randomUUID(),
    scp: i.scopes,
  });
  const sig = createHmac("sha256", i.secretValue).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${sig}`;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON when the response was JSON. */
  json: Record<string, unknown> | undefined;
}

/** One raw call: `body` as an object is sent as JSON, as a string it is sent as XML. */
export async function rawCall(
  baseUrl: string,
  method: string,
  path: string,
  init: { token?: string; body?: object | string; accept?: "json" | "xml"; signal?: AbortSignal } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = {
    accept: (init.accept ?? "json") === "json" ? "application/json" : "application/xml",
  };
  if (init.token) headers["x-tableau-auth"] = init.token;
  let body: string | undefined;
  if (typeof init.body === "string") {
    headers["content-type"] = "application/xml";
    body = init.body;
  } else if (init.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(init.body);
  }
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body, signal: init.signal });
  const text = await res.text();
  const isJson = (res.headers.get("content-type") ?? "").includes("json");
  return {
    status: res.status,
    headers: res.headers,
    text,
    json: isJson && text ? JSON.parse(text) : undefined,
  };
}
