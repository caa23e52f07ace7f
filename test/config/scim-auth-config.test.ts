// auth.scim in the YAML file: each kind's settings, the Entra tenant shortcut, and every mistake named at once.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/index.ts";

const dir = mkdtempSync(join(tmpdir(), "bridge-scim-auth-"));
const withFile = (yaml: string) => {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, yaml);
  return loadConfig({ BRIDGE_CONFIG: path });
};
const problems = (yaml: string) => {
  try {
    withFile(yaml);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.join("\n");
    throw e;
  }
  throw new Error("the configuration was accepted");
};
const HASH = "a".repeat(64);

describe("auth.scim configuration", () => {
  it("reads every kind, with write permission and no allow-list by default", () => {
    const c = withFile(`
auth:
  scim:
    - { name: ci, kind: bearer, tokenSha256: "${HASH.toUpperCase()}" }
    - { name: okta, kind: basic, username: okta, passwordSha256: "${HASH}", permissions: read, allow: [10.0.0.0/8, "2001:db8::/32", 192.0.2.7] }
    - { name: entra, kind: clientCredentials, clientId: entra, clientSecret: "0123456789abcdef", resourceTypes: [Users] }
    - { name: idp, kind: jwt, issuer: "https://idp.example.com/", audience: scim-bridge }
`);
    expect(c.auth.scim).toMatchObject([
      { name: "ci", kind: "bearer", tokenSha256: HASH, permissions: "write" },
      {
        name: "okta",
        kind: "basic",
        permissions: "read",
        allow: ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"],
      },
      { name: "entra", kind: "clientCredentials", accessTokenSeconds: 3600, resourceTypes: ["Users"] },
      { name: "idp", kind: "jwt", algorithms: ["RS256"], clockSkewSeconds: 60 },
    ]);
    expect(loadConfig({}).auth.scim).toEqual([]);
  });

  it("turns entraTenantId into Entra's issuer, keys, the non-gallery app's audience and the tenant claim", () => {
    const tenant = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
    const c = withFile(`auth: { scim: [ { name: entra, kind: jwt, entraTenantId: "${tenant}" } ] }`);
    expect(c.auth.scim[0]).toMatchObject({
      issuer: `https://sts.windows.net/${tenant}/`,
      jwksUri: `https://login.microsoftonline.com/${tenant}/discovery/v2.0/keys`,
      audience: "8adf8e6e-67b2-4cf2-a259-e3dc5476c621",
      requiredClaims: { tid: tenant },
    });
  });

  const mistakes: [string, string, RegExp][] = [
    [
      "a token and its hash both",
      `{ name: a, kind: bearer, token: "0123456789abcdef", tokenSha256: "${HASH}" }`,
      /exactly one of token and tokenSha256/,
    ],
    ["no password", "{ name: a, kind: basic, username: u }", /exactly one of password and passwordSha256/],
    ["a hash that is not SHA-256 hex", '{ name: a, kind: bearer, tokenSha256: "abc" }', /64 hex/],
    [
      "an HMAC algorithm for a JWT issuer",
      '{ name: a, kind: jwt, issuer: "https://i.example/", audience: x, algorithms: [HS256] }',
      /algorithms/,
    ],
    [
      "alg none",
      '{ name: a, kind: jwt, issuer: "https://i.example/", audience: x, algorithms: [none] }',
      /algorithms/,
    ],
    [
      "a JWT issuer without audience",
      '{ name: a, kind: jwt, issuer: "https://i.example/" }',
      /audience is required/,
    ],
    ["a bad CIDR", `{ name: a, kind: bearer, tokenSha256: "${HASH}", allow: [10.0.0.0/33] }`, /CIDR/],
    [
      "an unknown permission",
      `{ name: a, kind: bearer, tokenSha256: "${HASH}", permissions: admin }`,
      /permissions/,
    ],
    ["an unknown key", `{ name: a, kind: bearer, tokenSha256: "${HASH}", tokn: x }`, /tokn/],
  ];
  it.each(mistakes)("names the mistake: %s", (_what, entry, message) => {
    expect(problems(`auth: { scim: [ ${entry} ] }`)).toMatch(message);
  });

  it("refuses two credentials with one name, Basic username or clientId", () => {
    const p = problems(`
auth:
  scim:
    - { name: a, kind: bearer, tokenSha256: "${HASH}" }
    - { name: a, kind: basic, username: u, passwordSha256: "${HASH}" }
    - { name: b, kind: basic, username: u, passwordSha256: "${HASH}" }
`);
    expect(p).toMatch(/name "a" is used twice/);
    expect(p).toMatch(/Basic username "u" is used twice/);
  });
});
