// What a GET returned can be PUT back (RFC 7644 §3.5.1: readOnly values in a PUT are ignored), with targets
// configured, so the body carries the read-only provisioning status; POST ignores them too (§3.3); a PATCH naming
// a readOnly attribute is still refused with `mutability` (§3.5.2). Which attributes are readOnly is read from the
// declared schemas, and so is the property test's list.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readOnlyPaths } from "../../src/scim/read-only.ts";
import { AUTH as APP_AUTH, createTestApp, type TestApp, user } from "../support/app.ts";
import { AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { BACKENDS } from "../support/store.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";

const PROV = "urn:ietf:params:scim:schemas:extension:scim-bridge:2.0:Provisioning";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

describe.each(BACKENDS)("GET → change → PUT with a target configured, on %s", (backend) => {
  let target: RunningTestTarget;
  let t: TestBridge;
  beforeAll(async () => {
    target = await startTestTarget();
    t = await startTestBridge({ backend, targets: [{ name: "everyone", kind: "test", url: target.url }] });
  });
  afterAll(async () => {
    await t.stop();
    await target.close();
  });

  const get = async (path: string) => (await t.request.get(path).set(AUTH).expect(200)).body;

  it("a user read back (status, groups, id, meta) and PUT with a new title: 200, the change applied and delivered", async () => {
    const u = (await t.request.post("/scim/v2/Users").set(AUTH).send(user("rt-ann@example.com"))).body;
    await t.request
      .post("/scim/v2/Groups")
      .set(AUTH)
      .send({ schemas: [GROUP], displayName: "rt-staff", members: [{ value: u.id }] })
      .expect(201);
    const read = await get(`/scim/v2/Users/${u.id}`);
    expect(read[PROV].targets).toEqual([expect.objectContaining({ target: "everyone" })]);
    expect(read.groups).toEqual([expect.objectContaining({ display: "rt-staff" })]);

    const res = await t.request
      .put(`/scim/v2/Users/${u.id}`)
      .set(AUTH)
      .send({ ...read, title: "Engineer" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.title).toBe("Engineer");
    expect((await get(`/scim/v2/Users/${u.id}`)).title).toBe("Engineer");
    await eventually(() =>
      [...target.accounts.values()].some(
        (a) => a.key === "rt-ann@example.com" && a.fields.title === "Engineer",
      ),
    );
    // The groups it echoed are not a membership change: it is still in its group.
    expect((await get(`/scim/v2/Users/${u.id}`)).groups).toEqual([
      expect.objectContaining({ display: "rt-staff" }),
    ]);
  });

  it("a group read back and PUT with a new displayName: 200, renamed, its members kept", async () => {
    const u = (await t.request.post("/scim/v2/Users").set(AUTH).send(user("rt-bob@example.com"))).body;
    const g = (
      await t.request
        .post("/scim/v2/Groups")
        .set(AUTH)
        .send({ schemas: [GROUP], displayName: "rt-team", members: [{ value: u.id }] })
    ).body;
    const read = await get(`/scim/v2/Groups/${g.id}`);
    expect(read[PROV].targets).toEqual([expect.objectContaining({ target: "everyone" })]);

    const res = await t.request
      .put(`/scim/v2/Groups/${g.id}`)
      .set(AUTH)
      .send({ ...read, displayName: "rt-team-renamed" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const after = await get(`/scim/v2/Groups/${g.id}`);
    expect(after.displayName).toBe("rt-team-renamed");
    expect(after.members).toEqual([expect.objectContaining({ value: u.id })]);
  });

  it("a Bulk PUT of what GET returned: 200, the change applied", async () => {
    const u = (await t.request.post("/scim/v2/Users").set(AUTH).send(user("rt-cy@example.com"))).body;
    const read = await get(`/scim/v2/Users/${u.id}`);
    expect(read[PROV]).toBeDefined();
    const res = await t.request
      .post("/scim/v2/Bulk")
      .set(AUTH)
      .send({
        schemas: [BULK],
        Operations: [{ method: "PUT", path: `/Users/${u.id}`, data: { ...read, title: "Lead" } }],
      });
    expect(res.status).toBe(200);
    expect(res.body.Operations[0].status, JSON.stringify(res.body.Operations[0])).toBe("200");
    expect((await get(`/scim/v2/Users/${u.id}`)).title).toBe("Lead");
  });

  it("a POST carrying readOnly values (another user's GET body): 201, they are ignored", async () => {
    const model = (await t.request.post("/scim/v2/Users").set(AUTH).send(user("rt-dee@example.com"))).body;
    const read = await get(`/scim/v2/Users/${model.id}`);
    const res = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send({ ...read, userName: "rt-eve@example.com" });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.id).not.toBe(model.id);
    expect(res.body.meta.created).not.toBe(read.meta.created);
  });

  it("a PATCH of the provisioning status is still refused: 400 mutability", async () => {
    const u = (await t.request.post("/scim/v2/Users").set(AUTH).send(user("rt-fay@example.com"))).body;
    const res = await t.request
      .patch(`/scim/v2/Users/${u.id}`)
      .set(AUTH)
      .send({ schemas: [PATCH], Operations: [{ op: "replace", path: `${PROV}:targets`, value: [] }] });
    expect(res.status).toBe(400);
    expect(res.body.scimType).toBe("mutability");
  });
});

describe.each(BACKENDS)("a PATCH value carrying a readOnly sub-attribute, on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ backend });
  });
  afterAll(() => t.close());

  it.each([
    ["no path", { op: "replace", value: { [ENTERPRISE]: { manager: { value: "m1", displayName: "X" } } } }],
    [
      "the extension's URN",
      { op: "add", path: ENTERPRISE, value: { manager: { value: "m1", displayName: "X" } } },
    ],
    [
      "the manager's path",
      { op: "replace", path: `${ENTERPRISE}:manager`, value: { value: "m1", displayName: "X" } },
    ],
  ])("%s: the writable part is applied, the readOnly part ignored, never stored", async (_, op) => {
    const u = (
      await t.request
        .post("/scim/v2/Users")
        .set(APP_AUTH)
        .send(user(`ro-${Math.random()}@example.com`))
    ).body;
    const res = await t.request
      .patch(`/scim/v2/Users/${u.id}`)
      .set(APP_AUTH)
      .send({ schemas: [PATCH], Operations: [op] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const read = (await t.request.get(`/scim/v2/Users/${u.id}`).set(APP_AUTH)).body;
    expect(read[ENTERPRISE].manager).toEqual({ value: "m1" });
  });
});

/** A value at `path` (`a`, `a.b`, `urn:…:a.b`) laid over `body`, the way a client would send it. */
function setAt(body: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const urn = path.startsWith("urn:") ? path.slice(0, path.lastIndexOf(":")) : undefined;
  const rest = urn ? path.slice(urn.length + 1) : path;
  const [top, sub] = rest.split(".") as [string, string | undefined];
  const out = structuredClone(body);
  if (urn && !out[urn]) out[urn] = {};
  const container = urn ? (out[urn] as Record<string, unknown>) : out;
  if (sub === undefined) container[top] = value;
  else {
    const parent = container[top];
    if (Array.isArray(parent)) container[top] = parent.map((e) => ({ ...e, [sub]: value }));
    else container[top] = { ...(parent as object), [sub]: value };
  }
  if (urn) out.schemas = [...new Set([...(out.schemas as string[]), urn])];
  return out;
}

/**
 * Any JSON value but the ones that mean "no value" (null, ""), which a client uses to clear an attribute, and keys
 * such as "prototype", which the edge refuses in any body (test/scim/prototype-keys.test.ts).
 */
const anyValue = fc
  .jsonValue({ maxDepth: 2 })
  .filter((v) => v !== null && v !== "" && !JSON.stringify(v).match(/"(__proto__|prototype|constructor)":/));

describe.each(BACKENDS)("readOnly attributes, as the schemas declare them, on %s", (backend) => {
  let t: TestApp;
  let userId: string;
  let groupId: string;
  beforeAll(async () => {
    t = await createTestApp({ backend });
    const u = await t.request
      .post("/scim/v2/Users")
      .set(APP_AUTH)
      .send({ ...user("ro-ann@example.com"), [ENTERPRISE]: { manager: { value: "m-1" } }, title: "T" });
    userId = u.body.id;
    const g = await t.request
      .post("/scim/v2/Groups")
      .set(APP_AUTH)
      .send({ schemas: [GROUP], displayName: "ro-group", members: [{ value: userId }] });
    groupId = g.body.id;
  });
  afterAll(() => t.close());

  it("the list is read from the schemas: it names id, meta, groups, the status and manager.displayName", () => {
    expect(readOnlyPaths("User")).toEqual(
      expect.arrayContaining([
        "id",
        "meta",
        "groups",
        "groups.value",
        `${PROV}:targets`,
        `${ENTERPRISE}:manager.displayName`,
      ]),
    );
    expect(readOnlyPaths("Group")).toEqual(expect.arrayContaining(["id", "meta", `${PROV}:targets.state`]));
    // immutable is not readOnly: members stay writable in a PUT.
    expect(readOnlyPaths("Group")).not.toContain("members");
  });

  for (const type of ["User", "Group"] as const) {
    const base = type === "User" ? "/scim/v2/Users" : "/scim/v2/Groups";
    const idOf = () => (type === "User" ? userId : groupId);

    it(`${type}: any readOnly attribute with any value in a PUT of what GET returned is ignored (nothing changes)`, async () => {
      const paths = readOnlyPaths(type);
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...paths), anyValue, async (path, value) => {
          const before = (await t.request.get(`${base}/${idOf()}`).set(APP_AUTH)).body;
          const res = await t.request
            .put(`${base}/${idOf()}`)
            .set(APP_AUTH)
            .send(setAt(before, path, value));
          expect(res.status, `${path} = ${JSON.stringify(value)}: ${JSON.stringify(res.body)}`).toBe(200);
          // Nothing the client may write changed, so neither did the version.
          const after = (await t.request.get(`${base}/${idOf()}`).set(APP_AUTH)).body;
          expect(after).toEqual(before);
        }),
        { numRuns: 60 },
      );
    });

    it(`${type}: a PATCH naming any readOnly attribute, with any value, is 400 mutability`, async () => {
      const paths = readOnlyPaths(type);
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...paths),
          fc.constantFrom("add", "replace", "remove"),
          anyValue,
          async (path, op, value) => {
            const res = await t.request
              .patch(`${base}/${idOf()}`)
              .set(APP_AUTH)
              .send({ schemas: [PATCH], Operations: [{ op, path, ...(op === "remove" ? {} : { value }) }] });
            expect(res.status, `${op} ${path}: ${JSON.stringify(res.body)}`).toBe(400);
            expect(res.body.scimType).toBe("mutability");
          },
        ),
        { numRuns: 60 },
      );
    });
  }
});
