import { describe, expect, it } from "vitest";
import { bridgeSchemaSet } from "../../src/schemas.ts";
import {
  compileFilter,
  compileSort,
  FilterError,
  formatFilter,
  parseAttributePath,
  parseFilter,
  SortError,
} from "../../src/store/filter/index.ts";

const SCHEMAS = bridgeSchemaSet();

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

describe("parseFilter: structure", () => {
  it.each([
    ['userName eq "bjensen"', 'userName eq "bjensen"'],
    ['a eq "1" or b eq "2" and c eq "3"', '(a eq "1" or (b eq "2" and c eq "3"))'],
    ['a eq "1" and b eq "2" or c eq "3"', '((a eq "1" and b eq "2") or c eq "3")'],
    ['(a eq "1" or b eq "2") and c eq "3"', '((a eq "1" or b eq "2") and c eq "3")'],
    ['a eq "1" and b eq "2" and c eq "3"', '(a eq "1" and b eq "2" and c eq "3")'],
    [
      'userName sw "A" and not (userName ew "Z" or displayName co "Bob")',
      '(userName sw "A" and not (userName ew "Z" or displayName co "Bob"))',
    ],
    ["not(a pr)", "not (a pr)"],
    ['not (not (a eq "x"))', 'not (not (a eq "x"))'],
    ['((a eq "x"))', 'a eq "x"'],
    ["title pr", "title pr"],
    ['UserName EQ "x" OR displayName Eq null', '(UserName eq "x" or displayName eq null)'],
    ["active eq TRUE and x eq False", "(active eq true and x eq false)"],
    ["n ge -1.5e2 and m lt 0", "(n ge -150 and m lt 0)"],
    ['name.familyName co "O\'Malley"', 'name.familyName co "O\'Malley"'],
    ['meta.lastModified gt "2011-05-13T04:42:34Z"', 'meta.lastModified gt "2011-05-13T04:42:34Z"'],
    [
      'emails[type eq "work" and value co "@example.com"]',
      'emails[(type eq "work" and value co "@example.com")]',
    ],
    ['emails[type eq "work"].value eq "x"', 'emails[(type eq "work" and value eq "x")]'],
    [
      'emails[not (type eq "work")] or ims[type eq "xmpp"]',
      '(emails[not (type eq "work")] or ims[type eq "xmpp"])',
    ],
    ['members[value eq "abc"]', 'members[value eq "abc"]'],
  ])("%s → %s", (filter, structure) => {
    expect(formatFilter(parseFilter(filter))).toBe(structure);
  });

  it("decodes JSON string escapes in values", () => {
    const ast = parseFilter(String.raw`displayName eq "quote \" back \\ tab \t \u00e9"`);
    expect(ast).toMatchObject({ type: "compare", value: 'quote " back \\ tab \t é' });
  });

  it("splits URN-qualified paths at the last colon, keeping dots of the URN version", () => {
    const ast = parseFilter(`${ENTERPRISE}:manager.value eq "42"`);
    expect(ast).toMatchObject({
      type: "compare",
      op: "eq",
      value: "42",
      path: { uri: ENTERPRISE, name: "manager", subAttr: "value", position: 1 },
    });
  });

  it("records the 1-based position of each attribute path", () => {
    const ast = parseFilter('a pr and  bb eq "x"');
    expect(ast).toMatchObject({
      filters: [{ path: { position: 1 } }, { path: { name: "bb", position: 11 } }],
    });
  });

  it("parses a lone attribute path for sortBy", () => {
    expect(parseAttributePath(" name.familyName ")).toMatchObject({ name: "name", subAttr: "familyName" });
    expect(parseAttributePath("a b")).toBeUndefined();
    expect(parseAttributePath("a.b.c")).toBeUndefined();
  });
});

describe("parseFilter: errors say what and where", () => {
  it.each([
    ["", /filter is empty/],
    ['userName xx "a"', /^Unexpected 'xx' at position 10 in filter; expected a comparison operator/],
    ["userName eq", /^Unexpected end of filter at position 12; expected a value/],
    ["userName eq bjensen", /^Unexpected 'bjensen' at position 13 .* expected a value/],
    ['userName eq "a" userName eq "b"', /^Unexpected 'userName' at position 17 .* expected 'and', 'or'/],
    ['(userName eq "a"', /end of filter at position 17; expected '\)'/],
    ['userName eq "a")', /^Unexpected '\)' at position 16/],
    ['userName eq "abc', /Unterminated string starting at position 13/],
    ['userName eq "a\\qb"', /Invalid string .* at position 13/],
    ['and eq "x" or', /end of filter at position 14; expected an attribute name/],
    ['emails[type eq "work"', /end of filter .* expected '\]'/],
    ['emails[value[type eq "x"]]', /position 13 .*value filters cannot be nested/],
    ['userName eq "a" # x', /Unexpected character '#' at position 17/],
    ['name.given.family eq "x"', /Invalid attribute path 'name.given.family' at position 1/],
    ['not userName eq "x"', /position 5 .* expected 'and', 'or'|Unexpected 'userName' at position 5/],
  ])("%j", (filter, message) => {
    let error: unknown;
    try {
      parseFilter(filter);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FilterError);
    expect(error).toMatchObject({ status: 400, scimType: "invalidFilter" });
    expect((error as Error).message).toMatch(message);
  });

  it("refuses absurdly deep nesting instead of overflowing the stack", () => {
    const deep = `${"(".repeat(500)}a pr${")".repeat(500)}`;
    expect(() => parseFilter(deep)).toThrow(/nested too deeply/);
  });
});

describe("compileFilter: SQL shape", () => {
  it("compiles userName eq to the indexed name key, with the value bound as its key (case and NFC folded)", () => {
    const params: unknown[] = ["already-there"];
    const sql = compileFilter(SCHEMAS.User, 'UserName eq "JOSÉ"', params);
    expect(sql).toBe("t.user_name_key = $2::text");
    expect(params).toEqual(["already-there", "josé"]);
  });

  it("compiles externalId eq to an exact comparison on its column", () => {
    const params: unknown[] = [];
    expect(compileFilter(SCHEMAS.Group, 'externalId eq "X"', params, "g")).toBe(
      "(g.external_id IS NOT NULL AND g.external_id = $1::text)",
    );
  });

  it("never splices filter values into the SQL text", () => {
    const params: unknown[] = [];
    const sql = compileFilter(
      SCHEMAS.User,
      `userName eq "x' OR 1=1 --" or ${ENTERPRISE}:department co "'; DROP"`,
      params,
    );
    expect(sql).not.toContain("1=1");
    expect(sql).not.toContain("DROP");
    expect(params).toEqual(["x' or 1=1 --", "%'; DROP%"]);
  });

  it("escapes LIKE wildcards and backslashes in co/sw/ew values", () => {
    const params: unknown[] = [];
    compileFilter(SCHEMAS.User, String.raw`userName co "50%_off\\"`, params);
    expect(params).toEqual([String.raw`%50\%\_off\\%`]);
  });

  it("rejects an alias that is not a plain SQL identifier", () => {
    expect(() => compileFilter(SCHEMAS.User, "userName pr", [], "t; DROP")).toThrow(/Invalid SQL alias/);
  });
});

describe("compileFilter: semantic errors are 400 invalidFilter", () => {
  it.each([
    ['foo eq "a"', /Unknown attribute 'foo' for User resources/],
    ['members.value eq "a"', /Unknown attribute 'members.value' for User resources/],
    ['name.nickname eq "a"', /'name' has no sub-attribute 'nickname'/],
    ['urn:ietf:params:scim:schemas:extension:nope:2.0:User:x eq "a"', /Unknown schema/],
    [`${ENTERPRISE}:id eq "a"`, /Unknown attribute/],
    ['name eq "x"', /'name' is complex; compare one of its sub-attributes/],
    ['password eq "secret"', /'password' cannot be used in a filter/],
    ["active gt true", /'gt' cannot be used on boolean attribute 'active'/],
    ['x509Certificates.value lt "MII"', /'lt' cannot be used on binary attribute/],
    ['active eq "yes"', /'active' is boolean/],
    ["userName eq true", /is a string/],
    ['meta.lastModified gt "yesterday"', /is a dateTime/],
    ['meta.created co "2024"', /'co' cannot be used on dateTime/],
    ['meta.location eq "x"', /'meta.location' cannot be used/],
    ["userName gt null", /'gt' cannot compare 'userName' with null/],
    ['emails.value[type eq "work"]', /put the sub-attribute after/],
    ['userName[value eq "x"]', /is not complex/],
    ['emails[urn:x:type eq "work"]', /inside 'emails\[…\]'/],
    ['emails[foo eq "work"]', /'emails' has no sub-attribute 'foo'/],
  ])("%s", (filter, message) => {
    let error: unknown;
    try {
      compileFilter(SCHEMAS.User, filter, []);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FilterError);
    expect(error).toMatchObject({ status: 400, scimType: "invalidFilter" });
    expect((error as Error).message).toMatch(message);
  });

  it("names the position of the offending attribute", () => {
    expect(() => compileFilter(SCHEMAS.Group, 'displayName pr and userName eq "x"', [])).toThrow(
      /Unknown attribute 'userName' for Group resources \(at position 20 in filter\)/,
    );
  });
});

describe("compileSort", () => {
  it("defaults to creation order with the id as tie-break", () => {
    expect(compileSort(SCHEMAS.User)).toBe("t.created ASC, t.id ASC");
    expect(compileSort(SCHEMAS.Group, undefined, "descending", "g")).toBe("g.created ASC, g.id ASC");
  });

  it("sorts case-insensitive strings by lower() (userName by its key) and always ends with the id", () => {
    expect(compileSort(SCHEMAS.User, "userName", "descending")).toBe("t.user_name_key DESC, t.id ASC");
    expect(compileSort(SCHEMAS.User, "displayName")).toBe("lower(t.display_name) ASC NULLS LAST, t.id ASC");
    expect(compileSort(SCHEMAS.User, "externalId")).toBe("t.external_id ASC NULLS LAST, t.id ASC");
    expect(compileSort(SCHEMAS.User, "meta.lastModified", "Descending")).toBe(
      "t.last_modified DESC, t.id ASC",
    );
  });

  it.each([
    ["foo", undefined, /Invalid sortBy 'foo': Unknown attribute 'foo'/],
    ["name", undefined, /'name' is complex/],
    ["members", undefined, /Unknown attribute 'members'/],
    ["userName", "sideways", /Invalid sortOrder 'sideways'/],
    ["a b", undefined, /not an attribute path/],
  ])("rejects sortBy=%s sortOrder=%s with 400 invalidValue", (sortBy, sortOrder, message) => {
    let error: unknown;
    try {
      compileSort(SCHEMAS.User, sortBy, sortOrder);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SortError);
    expect(error).toMatchObject({ status: 400, scimType: "invalidValue" });
    expect((error as Error).message).toMatch(message);
  });
});
