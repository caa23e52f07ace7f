// bench/scim.ts's SCIM credentials besides the bearer token: a JWT issuer (an RS256 key and its JWKS served on
// 127.0.0.1), a clientCredentials client of the bridge's own /oauth/token, and a Basic login.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";

const AUDIENCE = "scim-bridge-bench";

export async function startBenchIssuer() {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "bench", alg: "RS256", use: "sig" };
  const server = createServer((_req, res) => {
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const password = randomBytes(24).toString("base64url");
  const clientSecret = randomBytes(24).toString("base64url");
  return {
    credentials: [
      { name: "bench-jwt", kind: "jwt", issuer: url, jwksUri: `${url}/keys`, audience: AUDIENCE },
      { name: "bench-oauth", kind: "clientCredentials", clientId: "bench", clientSecret },
      { name: "bench-basic", kind: "basic", username: "bench", password },
    ],
    /** One Authorization header per kind, for the bridge at `base`. */
    async authorizations(base: string) {
      const now = Math.floor(Date.now() / 1000);
      const jwt = await new SignJWT({ sub: "bench" })
        .setProtectedHeader({ alg: "RS256", kid: "bench" })
        .setIssuer(url)
        .setAudience(AUDIENCE)
        .setIssuedAt(now)
        .setExpirationTime(now + 3600)
        .sign(privateKey);
      const res = await fetch(`${base}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "client_credentials",
          client_id: "bench",
          client_secret: clientSecret,
        }),
      });
      const { access_token } = (await res.json()) as { access_token: string };
      return {
        jwt: `Bearer ${jwt}`,
        oauth: `Bearer ${access_token}`,
        basic: `Basic ${Buffer.from(`bench:${password}`).toString("base64")}`,
      };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
