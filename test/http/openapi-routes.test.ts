// Fails when the app serves a route that openapi/scim-bridge.yaml does not describe.
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { Directory } from "../../src/directory/index.ts";
import { createApp } from "../../src/http/app.ts";
import { expressRoutes, routesMissingFromSpec } from "../support/openapi.ts";

// Only the routing table is read: no request is served, so the directory is never used.
const app = createApp({
  directory: {} as Directory,
  logger: pino({ level: "silent" }),
  tokens: () => [],
  bodyLimit: "1mb",
  rateLimitPerMinute: 10,
  filterMaxResults: 10,
});

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
