import { describe, expect, it } from "vitest";
import {
  evaluate,
  type MappingSpecInput,
  mappingSpecSchema,
  type ScimUser,
} from "../../src/mapping/index.ts";

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

const jane: ScimUser = {
  schemas: ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
  userName: "Jane.Doe@Example.com",
  externalId: "00u1abc",
  displayName: "Jane Doe",
  nickName: "jd",
  title: "Analyst",
  name: { givenName: "Jane", familyName: "Doe", formatted: "Ms. Jane Doe" },
  emails: [
    { value: "jane@home.example", type: "home" },
    { value: "jane.doe@work.example", type: "work", primary: true },
    { value: "jd@other.example", type: "other" },
  ],
  phoneNumbers: [
    { value: "+1 555 0100", type: "mobile" },
    { value: "+1 555 0199", type: "work" },
  ],
  roles: [{ value: "Creator" }],
  active: true,
  [ENTERPRISE]: {
    department: "Finance",
    employeeNumber: 42,
    manager: { value: "boss-id", displayName: "Boss" },
  },
};

/** Evaluates one expression through the public surface: config validation, then evaluate(). */
function evaluateOne(expr: unknown, user: ScimUser = jane): unknown {
  const spec = mappingSpecSchema({}).parse({ fields: { out: expr } } as MappingSpecInput);
  return evaluate(spec, { user, groups: [] }, {}).out;
}

describe("SCIM path resolution", () => {
  it.each([
    ["a core attribute", "userName", "Jane.Doe@Example.com"],
    ["attribute names regardless of case", "USERNAME", "Jane.Doe@Example.com"],
    ["a sub-attribute", "name.givenName", "Jane"],
    ["a value-path filter on type", 'emails[type eq "work"].value', "jane.doe@work.example"],
    ["a filter value regardless of case", 'emails[type eq "WORK"].value', "jane.doe@work.example"],
    ["the primary flag", "emails[primary eq true].value", "jane.doe@work.example"],
    [
      "filters joined by and",
      'emails[type eq "other" and value ew "other.example"].value',
      "jd@other.example",
    ],
    ["filters joined by or", 'emails[type eq "nope" or type eq "home"].value', "jane@home.example"],
    [
      "co / sw / pr operators",
      'emails[value co "home" and value sw "jane" and type pr].value',
      "jane@home.example",
    ],
    ["ne operator", 'phoneNumbers[type ne "mobile"].value', "+1 555 0199"],
    ["a multi-valued attribute without filter: the primary", "emails.value", "jane.doe@work.example"],
    ["a multi-valued attribute at the end: its value", "roles", "Creator"],
    ["an enterprise extension attribute by URN", `${ENTERPRISE}:department`, "Finance"],
    ["a URN path regardless of case", `${ENTERPRISE.toUpperCase()}:department`, "Finance"],
    ["a sub-attribute inside an extension", `${ENTERPRISE}:manager.value`, "boss-id"],
    ["a number kept as a number", `${ENTERPRISE}:employeeNumber`, 42],
    ["a boolean kept as a boolean", "active", true],
    // RFC 7644 §3.10: a core attribute may be named with its schema URN, as some IdPs' attribute pickers write it.
    [
      "a core attribute named with the core schema URN",
      "urn:ietf:params:scim:schemas:core:2.0:User:userName",
      "Jane.Doe@Example.com",
    ],
    [
      "a core sub-attribute named with the core schema URN",
      "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName",
      "Jane",
    ],
  ])("resolves %s", (_what, path, expected) => {
    expect(evaluateOne(path)).toEqual(expected);
  });

  it("takes the first element when no element is primary", () => {
    expect(evaluateOne("phoneNumbers.value")).toBe("+1 555 0100");
  });

  it("treats Entra's string booleans as booleans in filters", () => {
    const user = { emails: [{ value: "a@x.io" }, { value: "b@x.io", primary: "True" }] };
    expect(evaluateOne("emails[primary eq true].value", user)).toBe("b@x.io");
    expect(evaluateOne("emails.value", user)).toBe("b@x.io");
  });

  it.each([
    ["an absent attribute", "title.nothing"],
    ["a filter matching nothing", 'emails[type eq "pager"].value'],
    ["an absent extension", "urn:ietf:params:scim:schemas:extension:acme:2.0:User:costCenter"],
    ["an empty string", "nickName"],
  ])("gives null for %s", (_what, path) => {
    expect(evaluateOne(path, { ...jane, nickName: "" })).toBeNull();
  });
});

describe("expressions", () => {
  it.each([
    ["const string", { const: "en_US" }, "en_US"],
    ["const boolean", { const: false }, false],
    ["concat", { concat: ["name.givenName", { const: "." }, "name.familyName"] }, "Jane.Doe"],
    ["concat skipping missing parts", { concat: ["name.middleName", "name.familyName"] }, "Doe"],
    ["substring with length", { substring: { of: "name.familyName", length: 2 } }, "Do"],
    ["substring with start", { substring: { of: "userName", start: 5, length: 3 } }, "Doe"],
    [
      "substring counts characters, not UTF-16 units",
      { substring: { of: { const: "😀ab" }, length: 2 } },
      "😀a",
    ],
    ["lower", { lower: "userName" }, "jane.doe@example.com"],
    ["upper", { upper: "name.familyName" }, "DOE"],
    ["ascii folds accents", { ascii: { const: "Zoë Ñúñez-Łód" } }, "ZoeNunez-Lod"],
    [
      "ascii keeps letters, digits, '.', '_' and '-' of ASCII text",
      { ascii: { const: "J. O'Brien_2 (x)!" } },
      "J.OBrien_2x",
    ],
    ["ascii drops control characters", { ascii: { const: "a\tb\u007fc\u0000" } }, "abc"],
    ["ascii folds ligatures and drops what has none", { ascii: { const: "Æsa Strauß 王" } }, "AEsaStrauss"],
    ["replace with a regex", { replace: { of: "userName", pattern: "@.*$", with: "" } }, "Jane.Doe"],
    [
      "replace with capture groups",
      { replace: { of: "displayName", pattern: "^(\\w+) (\\w+)$", with: "$2, $1" } },
      "Doe, Jane",
    ],
    ["firstOf skips empty values", { firstOf: ["name.middleName", "nickName", "displayName"] }, "jd"],
    ["firstOf falls through to a const", { firstOf: ["name.middleName", { const: "n/a" }] }, "n/a"],
    [
      "lookup by exact key",
      { lookup: { of: `${ENTERPRISE}:department`, table: { Finance: "00eFIN000000001" } } },
      "00eFIN000000001",
    ],
    [
      "lookup ignoring case",
      { lookup: { of: `${ENTERPRISE}:department`, table: { FINANCE: "Standard User" } } },
      "Standard User",
    ],
    [
      "lookup default when no key matches",
      { lookup: { of: "title", table: { Boss: "x" }, default: { const: "Chatter Free User" } } },
      "Chatter Free User",
    ],
    ["lookup without default when no key matches", { lookup: { of: "title", table: { Boss: "x" } } }, null],
    [
      "nested expressions",
      { lower: { concat: [{ substring: { of: "name.givenName", length: 1 } }, "name.familyName"] } },
      "jdoe",
    ],
  ])("%s", (_what, expr, expected) => {
    expect(evaluateOne(expr)).toEqual(expected);
  });

  it("gives null when every part of an expression is empty", () => {
    expect(evaluateOne({ lower: { concat: ["name.middleName", "name.honorificPrefix"] } })).toBeNull();
  });
});
