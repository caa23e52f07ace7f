// Fails when the app serves a route that openapi/scim-bridge.yaml does not describe.
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScimCredentialsSchema } from "../../src/config/scim-auth.ts";
import type { Directory } from "../../src/directory/index.ts";
import { createApp } from "../../src/http/app.ts";
import { CredentialSet, ScimAuth } from "../../src/http/scim-auth/index.ts";
import type { Queryable } from "../../src/store/index.ts";
import { startTestBridge, type TestBridge } from "../support/bridge.ts";
import { expressRoutes, openApiDocument, routesMissingFromSpec } from "../support/openapi.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";

// Only the routing table is read: no request is served, so the directory is never used.
// A clientCredentials credential mounts /oauth/token (its keys are read from the store only when a token is asked for).
const clientCredentials = ScimCredentialsSchema.parse([
  { name: "client", kind: "clientCredentials", clientId: "c", clientSecret: "0123456789abcdef" },
]);
const app = createApp({
  directory: {} as Directory,
  logger: pino({ level: "silent" }),
  tokens: () => [],
  scimAuth: new ScimAuth({
    credentials: new CredentialSet(clientCredentials, []),
    configs: clientCredentials,
    db: {} as Queryable,
  }),
  bodyLimit: "1mb",
  rateLimitPerMinute: 10,
  filterMaxResults: 10,
});

const ADMIN_ROUTES = [
  "GET /admin/targets",
  "GET /admin/queue",
  "GET /admin/jobs",
  "POST /admin/jobs/{id}/retry",
  "POST /admin/jobs/retry",
  "POST /admin/resources/{id}/retry",
  "POST /admin/resources/{id}/provision",
  "GET /admin/held",
  "POST /admin/targets/{name}/release",
  "GET /admin/resources/{id}/status",
  "GET /admin/resources/{id}/log",
  "GET /admin/audit",
  "POST /admin/reconcile",
  "POST /admin/import",
  "GET /admin/deliveries",
];

describe("the OpenAPI document covers the app's routes", () => {
  it("finds the routes of the mounted SCIM routers", () => {
    const routes = expressRoutes(app as never);
    expect(routes).toEqual(
      expect.arrayContaining([
        "GET /healthz",
        "PATCH /scim/v2/Users/{id}",
        "POST /scim/v2/Groups/.search",
        "POST /scim/v2/Bulk",
        "POST /scim/v2/.search",
        "POST /oauth/token",
      ]),
    );
  });

  it("describes every route the app serves", () => {
    expect(routesMissingFromSpec(expressRoutes(app as never))).toEqual([]);
  });

  it("reports a route the spec lacks", () => {
    expect(
      routesMissingFromSpec(["GET /scim/v2/Users/{id}", "DELETE /scim/v2/Schemas/{id}", "ALL /scim/v2/Nope"]),
    ).toEqual(["DELETE /scim/v2/Schemas/{id}", "ALL /scim/v2/Nope"]);
  });
});

// The whole bridge mounts the admin API (with reconcile and import) next to SCIM.
describe("the OpenAPI document covers the whole bridge's routes", () => {
  let target: RunningTestTarget;
  let t: TestBridge;
  beforeAll(async () => {
    target = await startTestTarget();
    t = await startTestBridge({ targets: [{ name: "accounts", kind: "test", url: target.url }] });
  });
  afterAll(async () => {
    await t.stop();
    await target.close();
  });

  it("finds the admin routes, reconcile and import included", () => {
    const routes = expressRoutes(t.bridge.app as never);
    expect(routes.filter((r) => r.includes(" /admin/")).sort()).toEqual([...ADMIN_ROUTES].sort());
  });

  it("describes every route the bridge serves, the admin API included", () => {
    const routes = expressRoutes(t.bridge.app as never);
    expect(routes).toEqual(expect.arrayContaining(["GET /healthz", "POST /scim/v2/Users"]));
    expect(routesMissingFromSpec(routes)).toEqual([]);
  });

  it("describes no admin operation the bridge does not serve", () => {
    const described = Object.entries(openApiDocument().paths)
      .filter(([path]) => path.startsWith("/admin/"))
      .flatMap(([path, item]) =>
        Object.keys(item)
          .filter((m) => m !== "parameters")
          .map((m) => `${m.toUpperCase()} ${path}`),
      );
    expect(described.sort()).toEqual([...ADMIN_ROUTES].sort());
  });
});
