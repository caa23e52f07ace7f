import { generateKeyPairSync, sign } from "node:crypto";
import jsforce from "jsforce";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  SALESFORCE_EMULATOR_DEFAULTS as DEMO,
  type RunningSalesforceEmulator,
  startSalesforceEmulator,
} from "../../src/emulators/salesforce/index.ts";

const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
let clock = Date.now();
let emu: RunningSalesforceEmulator;

beforeAll(async () => {
  emu = await startSalesforceEmulator({
    port: 0,
    jwtPublicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    now: () => clock,
  });
});
afterAll(() => emu.close());

function connection(oauth2: { clientId?: string; clientSecret?: string } = {}) {
  return new jsforce.Connection({
    loginUrl: emu.url,
    version: "62.0",
    oauth2: { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, loginUrl: emu.url, ...oauth2 },
  });
}

function jwt(claims: Record<string, unknown>, key = privateKey): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const body = `${part({ alg: "RS256", typ: "JWT" })}.${part(claims)}`;
  return `${body}.${sign("RSA-SHA256", Buffer.from(body), key).toString("base64url")}`;
}

const jwtClaims = () => ({
  iss: DEMO.clientId,
  sub: DEMO.username,
  aud: "https://login.salesforce.com",
  exp: Math.floor(clock / 1000) + 180,
});

describe("Salesforce emulator OAuth", () => {
  it("logs in with the password flow (password + security token) and names the org and user in the id URL", async () => {
    const conn = connection();
    const info = await conn.login(DEMO.username, DEMO.password + DEMO.securityToken);
    expect(info.organizationId).toBe(emu.org.orgId);
    expect(info.id).toBe(emu.org.adminUserId);
    expect(conn.instanceUrl).toBe(emu.url);
    expect(conn.refreshToken).toBeUndefined();
    const result = await conn.query<{ Username: string }>(
      `SELECT Username FROM User WHERE Id = '${info.id}'`,
    );
    expect(result.records[0]?.Username).toBe(DEMO.username);
  });

  it("rejects a password without the security token as invalid_grant / authentication failure", async () => {
    await expect(connection().login(DEMO.username, DEMO.password)).rejects.toMatchObject({
      name: "invalid_grant",
      message: "authentication failure",
    });
  });

  it("rejects an unknown consumer key and a wrong secret with Salesforce's OAuth errors", async () => {
    await expect(
      connection({ clientId: "nope" }).login(DEMO.username, DEMO.password + DEMO.securityToken),
    ).rejects.toMatchObject({
      name: "invalid_client_id",
      message: "client identifier invalid",
    });
    await expect(
      connection({ clientSecret: "nope" }).login(DEMO.username, DEMO.password + DEMO.securityToken),
    ).rejects.toMatchObject({
      name: "invalid_client",
    });
  });

  it("issues a token for client credentials without a refresh token", async () => {
    const conn = connection();
    const info = await conn.authorize({ grant_type: "client_credentials" });
    expect(info.id).toBe(emu.org.adminUserId);
    expect(conn.refreshToken).toBeUndefined();
    expect((await conn.limits()).DailyApiRequests?.Max).toBe(DEMO.apiBudget);
  });

  it("accepts a JWT bearer assertion signed by the configured key", async () => {
    const conn = connection();
    const info = await conn.authorize({
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      assertion: jwt(jwtClaims()),
    });
    expect(info.id).toBe(emu.org.adminUserId);
    await expect(conn.query("SELECT Id FROM Profile")).resolves.toMatchObject({ done: true });
  });

  it("rejects JWTs signed by another key, for another client, or already expired", async () => {
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const grant = (assertion: string) =>
      connection().authorize({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion });
    await expect(grant(jwt(jwtClaims(), other))).rejects.toMatchObject({
      name: "invalid_grant",
      message: "invalid assertion",
    });
    await expect(grant(jwt({ ...jwtClaims(), iss: "someone-else" }))).rejects.toMatchObject({
      name: "invalid_client_id",
    });
    await expect(grant(jwt({ ...jwtClaims(), exp: Math.floor(clock / 1000) - 10 }))).rejects.toMatchObject({
      name: "invalid_grant",
    });
    await expect(grant(jwt({ ...jwtClaims(), aud: "https://evil.example" }))).rejects.toMatchObject({
      message: "audience is invalid",
    });
  });

  it("answers a token request without grant_type with invalid_request", async () => {
    const res = await fetch(`${emu.url}/services/oauth2/token`, { method: "POST" });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: "invalid_request",
      error_description: "grant type is missing",
    });
  });

  it("refreshes an expired session with the refresh_token grant and retries the call", async () => {
    const conn = connection();
    const refreshToken = emu.mintRefreshToken();
    conn.refreshToken = refreshToken;
    const refreshed: string[] = [];
    conn.on("refresh", (token: string) => refreshed.push(token));
    conn.accessToken = "00Dbogus!expired";
    conn.instanceUrl = emu.url;
    const result = await conn.query("SELECT Id FROM User");
    expect(result.totalSize).toBeGreaterThan(0);
    expect(refreshed).toHaveLength(1);
  });

  it("answers 401 INVALID_SESSION_ID in Salesforce's exact shape once the idle timeout passes", async () => {
    const conn = connection();
    await conn.authorize({ grant_type: "client_credentials" });
    clock += (DEMO.sessionTtlS + 1) * 1000;
    const res = await fetch(`${emu.url}/services/data/v62.0/limits`, {
      headers: { Authorization: `Bearer ${conn.accessToken}` },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toBe("application/json;charset=UTF-8");
    expect(await res.json()).toEqual([
      { message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" },
    ]);
  });

  it("makes jsforce log in again after revokeSessions() when it logged in with a password", async () => {
    const conn = connection();
    await conn.login(DEMO.username, DEMO.password + DEMO.securityToken);
    const before = conn.accessToken;
    emu.revokeSessions();
    await expect(conn.query("SELECT Id FROM Profile")).resolves.toMatchObject({ done: true });
    expect(conn.accessToken).not.toBe(before);
  });

  it("leaves a revoked client-credentials session to the caller, since jsforce has no refresh token to use", async () => {
    const conn = connection();
    await conn.authorize({ grant_type: "client_credentials" });
    emu.revokeSessions();
    await expect(conn.query("SELECT Id FROM Profile")).rejects.toThrow(/refresh/i);
  });

  it("revokes a token on logout so it can no longer be used", async () => {
    const conn = connection();
    await conn.authorize({ grant_type: "client_credentials" });
    const token = conn.accessToken;
    await conn.logout();
    const res = await fetch(`${emu.url}/services/data/v62.0/limits`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(401);
  });

  it("issues refresh tokens on password login only when configured to", async () => {
    const withRefresh = await startSalesforceEmulator({ issueRefreshTokens: true });
    try {
      const conn = new jsforce.Connection({
        loginUrl: withRefresh.url,
        version: "62.0",
        oauth2: { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, loginUrl: withRefresh.url },
      });
      const res = await conn.oauth2.authenticate(DEMO.username, DEMO.password + DEMO.securityToken);
      expect(res.refresh_token).toBeTruthy();
      const again = await conn.oauth2.refreshToken(res.refresh_token ?? "");
      expect(again.access_token).not.toBe(res.access_token);
      expect(again.instance_url).toBe(withRefresh.url);
    } finally {
      await withRefresh.close();
    }
  });
});
