// Which handler each method and path of /Users and /Groups reaches, as a table: the paths IdPs send in every
// spelling Express's routing accepted (any case, a trailing slash, a percent-encoded id), the methods each path
// answers, and 405 for the others. The guard for the one-layer dispatch in scim/routes.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH, createTestApp, type TestApp, user } from "../support/app.ts";
import { BACKENDS } from "../support/store.ts";

const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
const LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

describe.each(BACKENDS)("resource routes (%s)", (backend) => {
  let t: TestApp;
  let id = "";
  let groupId = "";
  beforeAll(async () => {
    t = await createTestApp({ backend });
    id = (await t.request.post("/scim/v2/Users").set(AUTH).send(user("routes@example.com")).expect(201)).body
      .id;
    groupId = (
      await t.request
        .post("/scim/v2/Groups")
        .set(AUTH)
        .send({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Routes" })
        .expect(201)
    ).body.id;
  });
  afterAll(async () => t?.close());

  const send = (method: string, path: string, body?: unknown) => {
    const r = t.request[method.toLowerCase() as "get"](path.replace(":id", id).replace(":gid", groupId)).set(
      AUTH,
    );
    return body === undefined ? r : r.set("Content-Type", "application/scim+json").send(JSON.stringify(body));
  };

  it.each<[string, string, unknown, number, (b: Record<string, unknown>) => void]>([
    ["GET", "/scim/v2/Users", undefined, 200, (b) => expect(b.schemas).toEqual([LIST])],
    ["GET", "/scim/v2/users", undefined, 200, (b) => expect(b.schemas).toEqual([LIST])],
    ["GET", "/scim/v2/Users/", undefined, 200, (b) => expect(b.schemas).toEqual([LIST])],
    ["GET", "/scim/v2/Users/:id", undefined, 200, (b) => expect(b.userName).toBe("routes@example.com")],
    ["GET", "/scim/v2/USERS/:id/", undefined, 200, (b) => expect(b.userName).toBe("routes@example.com")],
    ["GET", "/scim/v2/Groups/:gid", undefined, 200, (b) => expect(b.displayName).toBe("Routes")],
    ["GET", "/scim/v2/groups", undefined, 200, (b) => expect(b.totalResults).toBe(1)],
    [
      "GET",
      "/scim/v2/Users/no-such-id",
      undefined,
      404,
      (b) => expect(String(b.detail)).toMatch(/no-such-id/),
    ],
    ["GET", "/scim/v2/Users/.search", undefined, 404, (b) => expect(b.status).toBe("404")],
    ["GET", "/scim/v2/Users/%2E%2Esearch", undefined, 404, (b) => expect(b.status).toBe("404")],
    ["GET", "/scim/v2/Users/:id/extra", undefined, 404, (b) => expect(b.status).toBe("404")],
    ["GET", "/scim/v2/Users//", undefined, 404, (b) => expect(b.status).toBe("404")],
    ["GET", "/scim/v2/Users/%E0%A4%A", undefined, 400, (b) => expect(b.status).toBe("400")],
    ["POST", "/scim/v2/Users/%E0%A4%A", {}, 400, (b) => expect(b.status).toBe("400")],
    [
      "POST",
      "/scim/v2/Users/.SEARCH",
      { schemas: [SEARCH], filter: 'userName eq "routes@example.com"' },
      200,
      (b) => expect(b.totalResults).toBe(1),
    ],
    [
      "POST",
      "/scim/v2/Users/.search",
      { schemas: [SEARCH], filter: 'userName eq "routes@example.com"' },
      200,
      (b) => expect(b.totalResults).toBe(1),
    ],
    [
      "POST",
      "/scim/v2/groups/.search",
      { schemas: [SEARCH], filter: 'displayName eq "Routes"' },
      200,
      (b) => expect(b.totalResults).toBe(1),
    ],
    [
      "PATCH",
      "/scim/v2/Users/:id",
      { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "title", value: "Lead" }] },
      200,
      (b) => expect(b.title).toBe("Lead"),
    ],
    [
      "PATCH",
      "/scim/v2/users/:id/",
      { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "title", value: "Chief" }] },
      200,
      (b) => expect(b.title).toBe("Chief"),
    ],
    ["PUT", "/scim/v2/Users", user("x@example.com"), 405, (b) => expect(b.status).toBe("405")],
    ["PATCH", "/scim/v2/Groups", {}, 405, (b) => expect(b.status).toBe("405")],
    ["DELETE", "/scim/v2/Users", undefined, 405, (b) => expect(b.status).toBe("405")],
    ["POST", "/scim/v2/Users/:id", user("y@example.com"), 405, (b) => expect(b.status).toBe("405")],
    ["OPTIONS", "/scim/v2/Users/:id", undefined, 405, (b) => expect(b.status).toBe("405")],
    ["DELETE", "/scim/v2/Groups/no-such-id", undefined, 404, (b) => expect(b.status).toBe("404")],
    ["GET", "/scim/v2/Userz", undefined, 404, (b) => expect(b.status).toBe("404")],
  ])("%s %s → %i", async (method, path, body, status, check) => {
    const r = await send(method, path, body);
    expect(r.status).toBe(status);
    expect(r.headers["content-type"]).toMatch(/^application\/scim\+json/);
    check(JSON.parse(r.text) as Record<string, unknown>);
  });

  it("HEAD answers as GET does, without a body", async () => {
    const r = await t.request.head(`/scim/v2/Users/${id}`).set(AUTH);
    expect(r.status).toBe(200);
    expect(r.headers.etag).toMatch(/^W\//);
    expect(r.text ?? "").toBe("");
    expect((await t.request.head("/scim/v2/Users/no-such-id").set(AUTH)).status).toBe(404);
  });

  it("a 405 names the method and the path", async () => {
    const r = await t.request.put("/scim/v2/Groups").set(AUTH).send({});
    expect(r.body.detail).toBe("PUT is not supported on /scim/v2/Groups");
  });
});
