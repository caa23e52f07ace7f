// PATCH of whole extension objects (RFC 7644 §3.5.2): add merges, replace replaces, remove clears, for every
// extension the server declares; the read-only provisioning status is refused with `mutability`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { userExtensions } from "../../src/targets/registry.ts";
import { AUTH, createTestApp, scimJson, type TestApp, user } from "../support/app.ts";
import { BACKENDS } from "../support/store.ts";

const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const PROVISIONING = "urn:ietf:params:scim:schemas:extension:scim-bridge:2.0:Provisioning";
/** What the JavaScript engine says when code misbehaves: never a client's answer. */
const ENGINE_TEXT = /not extensible|Cannot convert|Cannot read|undefined or null|is not a function/i;

const EXTENSIONS = [
  {
    urn: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    first: { department: "Sales", employeeNumber: "701" },
    second: { costCenter: "CC-9" },
  },
  {
    urn: "urn:ietf:params:scim:schemas:extension:salesforce:2.0:User",
    first: { Alias: "jdoe", TimeZoneSidKey: "GMT" },
    second: { LocaleSidKey: "en_US" },
  },
  {
    urn: "urn:ietf:params:scim:schemas:extension:tableau:3.0:User",
    first: { siteRole: "Viewer" },
    second: { authSetting: "SAML" },
  },
];

describe.each(BACKENDS)("PATCH of whole extension objects on %s", (backend) => {
  let t: TestApp;
  let n = 0;
  beforeAll(async () => {
    t = await createTestApp({ backend });
  });
  afterAll(() => t.close());

  const create = async (extra: Record<string, unknown> = {}) => {
    const res = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .set("Content-Type", scimJson)
      .send(user(`ext-${++n}@example.com`, extra));
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const patch = (type: "Users" | "Groups", id: string, Operations: unknown[]) =>
    t.request
      .patch(`/scim/v2/${type}/${id}`)
      .set(AUTH)
      .set("Content-Type", scimJson)
      .send({ schemas: [PATCH_OP], Operations });

  it("serves every registered target kind's extension at /Schemas and on the User resource type", async () => {
    const ids = userExtensions().map((e) => e.id);
    expect(ids.length).toBeGreaterThan(0);
    const schemas = await t.request.get("/scim/v2/Schemas").set(AUTH);
    expect(schemas.body.Resources.map((s: { id: string }) => s.id)).toEqual(expect.arrayContaining(ids));
    const type = await t.request.get("/scim/v2/ResourceTypes/User").set(AUTH);
    expect(type.body.schemaExtensions.map((e: { schema: string }) => e.schema)).toEqual(
      expect.arrayContaining(ids),
    );
  });

  describe.each(EXTENSIONS)("$urn", ({ urn, first, second }) => {
    it("add merges into the object, replace replaces it, remove clears it", async () => {
      const id = await create({ [urn]: first });
      const added = await patch("Users", id, [{ op: "add", path: urn, value: second }]);
      expect(added.status).toBe(200);
      expect(added.body[urn]).toEqual({ ...first, ...second });
      expect(added.body.schemas).toContain(urn);

      const replaced = await patch("Users", id, [{ op: "replace", path: urn, value: second }]);
      expect(replaced.status).toBe(200);
      expect(replaced.body[urn]).toEqual(second);

      const removed = await patch("Users", id, [{ op: "remove", path: urn }]);
      expect(removed.status).toBe(200);
      expect(removed.body[urn]).toBeUndefined();
      expect(removed.body.schemas).not.toContain(urn);
      const read = await t.request.get(`/scim/v2/Users/${id}`).set(AUTH);
      expect(read.body[urn]).toBeUndefined();
    });

    it("add to a user without the extension creates it; a no-path value keyed by the URN works too", async () => {
      const id = await create();
      const added = await patch("Users", id, [{ op: "add", path: urn, value: first }]);
      expect(added.status).toBe(200);
      expect(added.body[urn]).toEqual(first);
      const noPath = await patch("Users", id, [
        { op: "replace", value: { displayName: "Renamed", [urn]: second } },
      ]);
      expect(noPath.status).toBe(200);
      expect(noPath.body.displayName).toBe("Renamed");
      expect(noPath.body[urn]).toEqual(second);
    });
  });

  it("a value that is not an object, or an attribute of the wrong type, is a SCIM 400 that says what is wrong", async () => {
    const id = await create();
    const urn = EXTENSIONS[0]!.urn;
    const notObject = await patch("Users", id, [{ op: "add", path: urn, value: "Sales" }]);
    expect(notObject.status).toBe(400);
    expect(notObject.body.scimType).toBe("invalidValue");
    expect(notObject.body.detail).toContain(urn);
    const wrongType = await patch("Users", id, [
      { op: "replace", path: urn, value: { department: { x: 1 } } },
    ]);
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.detail).toMatch(/department/);
    expect(wrongType.body.detail).not.toMatch(ENGINE_TEXT);
  });

  it.each([
    ["add", PROVISIONING, { targets: [{ target: "x", state: "synced" }] }],
    ["replace", PROVISIONING, { targets: [] }],
    ["remove", PROVISIONING, undefined],
    ["replace", `${PROVISIONING}:targets`, [{ target: "x", state: "synced" }]],
  ])("%s of %s on a user or group is 400 mutability naming the attribute", async (op, path, value) => {
    const id = await create();
    const group = await t.request
      .post("/scim/v2/Groups")
      .set(AUTH)
      .set("Content-Type", scimJson)
      .send({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: `g-${++n}` });
    for (const [type, target] of [
      ["Users", id],
      ["Groups", group.body.id],
    ] as const) {
      const res = await patch(type, target, [{ op, path, ...(value !== undefined ? { value } : {}) }]);
      expect(res.status).toBe(400);
      expect(res.body.scimType).toBe("mutability");
      expect(res.body.detail).toContain(path);
      expect(res.body.detail).not.toMatch(ENGINE_TEXT);
    }
    const noPath = await patch("Users", id, [{ op: "add", value: { [PROVISIONING]: { targets: [] } } }]);
    expect(noPath.status).toBe(400);
    expect(noPath.body.scimType).toBe("mutability");
  });
});
