// A token issuer on 127.0.0.1 for tests: each tenant path serves an OpenID configuration and a JWKS whose keys the
// test changes (rotation), counting the JWKS fetches; tokens are made with jose.
import { createServer, type Server } from "node:http";
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";

export interface TestKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function makeKey(kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } };
}

export interface TestIssuer {
  base: string;
  /** The issuer URL of a tenant (its discovery document is at <url>/.well-known/openid-configuration). */
  issuer(tenant: string): string;
  jwksUri(tenant: string): string;
  /** "down": the JWKS answers 503. */
  setKeys(tenant: string, keys: TestKey[] | "down"): void;
  /** How many times the tenant's JWKS was fetched. */
  jwksHits(tenant: string): number;
  close(): Promise<void>;
}

export async function startIssuer(): Promise<TestIssuer> {
  const keys = new Map<string, TestKey[] | "down">();
  const hits = new Map<string, number>();
  let base = "";
  const server: Server = createServer((req, res) => {
    const m = /^\/([\w-]+)\/(\.well-known\/openid-configuration|keys)$/.exec(req.url ?? "");
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const tenant = m[1]!;
    res.setHeader("Content-Type", "application/json");
    if (m[2] === "keys") {
      hits.set(tenant, (hits.get(tenant) ?? 0) + 1);
      const set = keys.get(tenant) ?? [];
      if (set === "down") res.writeHead(503).end("{}");
      else res.end(JSON.stringify({ keys: set.map((k) => k.publicJwk) }));
    } else res.end(JSON.stringify({ issuer: `${base}/${tenant}`, jwks_uri: `${base}/${tenant}/keys` }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    base,
    issuer: (tenant) => `${base}/${tenant}`,
    jwksUri: (tenant) => `${base}/${tenant}/keys`,
    setKeys: (tenant, k) => keys.set(tenant, k),
    jwksHits: (tenant) => hits.get(tenant) ?? 0,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A signed token: iss, aud, sub, iat and exp (10 minutes) by default, overridden by `claims`. */
export async function signToken(
  key: TestKey,
  claims: JWTPayload & { iss: string; aud: string | string[] },
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: "provisioning", iat: now, exp: now + 600, ...claims })
    .setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT" })
    .sign(key.privateKey);
}
