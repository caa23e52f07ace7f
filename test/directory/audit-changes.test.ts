// What an audit row says a SCIM write changed: each attribute as path: old → new, read against the schemas, so a
// password or a writeOnly attribute is only said to have changed, and long lists are summarised.
import { describe, expect, it } from "vitest";
import { AUDIT_CHANGES, attributeChanges, memberChange } from "../../src/directory/changes.ts";
import { bridgeSchemaSet } from "../../src/schemas.ts";
import type { AuditChange, ResourceSchema } from "../../src/store/index.ts";

const schemas = bridgeSchemaSet();
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/** A schema whose `secretCode` is writeOnly, as an extension may declare. */
const withWriteOnly: ResourceSchema = {
  ...schemas.User,
  core: {
    ...schemas.User.core,
    attributes: [
      ...schemas.User.core.attributes,
      {
        name: "secretCode",
        type: "string",
        multiValued: false,
        caseExact: true,
        neverReturned: false,
        writeOnly: true,
      },
    ],
  },
};

const cases: {
  name: string;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
  password?: boolean;
  schema?: ResourceSchema;
  changes: AuditChange[];
}[] = [
  {
    name: "a changed title is its old and new value",
    before: { userName: "ada", title: "A" },
    after: { userName: "ada", title: "B" },
    changes: [{ path: "title", old: "A", new: "B" }],
  },
  {
    name: "an attribute set for the first time has no old value, one removed no new value",
    before: { userName: "ada", nickName: "Ada" },
    after: { userName: "ada", title: "Engineer" },
    changes: [
      { path: "title", new: "Engineer" },
      { path: "nickName", old: "Ada" },
    ],
  },
  {
    name: "a complex attribute is named by its sub-attributes (name.givenName)",
    before: { userName: "ada", name: { givenName: "Ada", familyName: "Byron" } },
    after: { userName: "ada", name: { givenName: "Ada", familyName: "Lovelace" } },
    changes: [{ path: "name.familyName", old: "Byron", new: "Lovelace" }],
  },
  {
    name: "a multi-valued attribute gives the values that went and came, with their type and primary",
    before: {
      userName: "ada",
      emails: [
        { value: "ada@old.example", type: "work", primary: true },
        { value: "a@home.example", type: "home" },
      ],
    },
    after: {
      userName: "ada",
      emails: [
        { value: "ada@new.example", type: "work", primary: true },
        { value: "a@home.example", type: "home" },
      ],
    },
    changes: [
      { path: "emails", old: "ada@old.example (work, primary)", new: "ada@new.example (work, primary)" },
    ],
  },
  {
    name: "the enterprise extension's attributes are named by the extension's URN",
    before: { userName: "ada", [ENTERPRISE]: { department: "R&D", manager: { value: "m1" } } },
    after: { userName: "ada", [ENTERPRISE]: { department: "Sales", manager: { value: "m2" } } },
    changes: [
      { path: `${ENTERPRISE}:department`, old: "R&D", new: "Sales" },
      { path: `${ENTERPRISE}:manager.value`, old: "m1", new: "m2" },
    ],
  },
  {
    name: "a password is said to have changed, never shown",
    before: { userName: "ada" },
    after: { userName: "ada" },
    password: true,
    changes: [{ path: "password", hidden: true }],
  },
  {
    name: "a writeOnly attribute is said to have changed, never shown",
    before: { userName: "ada", secretCode: "1234" },
    after: { userName: "ada", secretCode: "5678" },
    schema: withWriteOnly,
    changes: [{ path: "secretCode", hidden: true }],
  },
  {
    name: "a create lists every attribute as new; schemas, id and meta are not attributes",
    after: { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "ada", active: true },
    changes: [
      { path: "userName", new: "ada" },
      { path: "active", new: true },
    ],
  },
  {
    name: "a delete lists every attribute as gone",
    before: { userName: "ada", active: false },
    changes: [
      { path: "userName", old: "ada" },
      { path: "active", old: false },
    ],
  },
  {
    name: "an unchanged body changes nothing",
    before: { userName: "ada", name: { givenName: "Ada" } },
    after: { userName: "ada", name: { givenName: "Ada" } },
    changes: [],
  },
];

describe("attributeChanges", () => {
  for (const c of cases) {
    it(c.name, () => {
      expect(attributeChanges(c.schema ?? schemas.User, c.before, c.after, c.password)).toEqual(c.changes);
    });
  }

  it("cuts a long value and summarises a long list", () => {
    const [long] = attributeChanges(schemas.User, {}, { title: "x".repeat(1000) });
    expect(String(long!.new).length).toBe(200);
    const [list] = attributeChanges(
      schemas.User,
      {},
      {
        emails: Array.from({ length: 25 }, (_, i) => ({ value: `a${i}@example.com` })),
      },
    );
    expect(list!.new).toMatch(/^a0@example\.com, .*a9@example\.com … and 15 more$/);
  });

  it("lists at most AUDIT_CHANGES attributes and counts the rest", () => {
    const after = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`x${i}`, i]));
    const changes = attributeChanges(schemas.User, {}, after);
    expect(changes).toHaveLength(AUDIT_CHANGES);
    expect(changes.at(-1)).toEqual({ path: "…", new: `${60 - AUDIT_CHANGES + 1} more attributes` });
  });
});

describe("memberChange", () => {
  it("names the members added and removed, at most ten of each, counting beyond", () => {
    expect(memberChange(["u1"], [])).toEqual([{ path: "members", added: ["u1"] }]);
    const many = Array.from({ length: 12 }, (_, i) => `u${i}`);
    expect(memberChange([], many)).toEqual([
      { path: "members", removed: many.slice(0, 10), removedCount: 12 },
    ]);
    expect(memberChange([], [])).toEqual([]);
  });
});
