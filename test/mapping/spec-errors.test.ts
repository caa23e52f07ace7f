import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defaultSalesforceMapping, SalesforceMappingSpec } from "../../src/targets/salesforce/mapping.ts";
import { defaultTableauMapping, TableauMappingSpec } from "../../src/targets/tableau/mapping.ts";

// Each kind's `mapping:` schema: the same language, with the group-rule keys of that kind.
const SPECS = { salesforce: SalesforceMappingSpec, tableau: TableauMappingSpec };
type Kind = keyof typeof SPECS;

/** "path: message" lines, the way an admin sees them at startup. */
function errorsOf(input: unknown, kind: Kind = "salesforce"): string[] {
  const result = SPECS[kind].safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("a kind's mapping schema accepts what the config documents", () => {
  it("accepts every expression kind and group-rule form", () => {
    const spec = {
      fields: {
        Username: "userName",
        Email: 'emails[type eq "work"].value',
        Department: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
        TimeZoneSidKey: { const: "Europe/Paris" },
        Alias: { lower: { substring: { of: { ascii: "userName" }, start: 0, length: 8 } } },
        Title: { upper: "title" },
        Nick: { concat: ["name.givenName", { const: "_" }, "name.familyName"] },
        Local: { replace: { of: "userName", pattern: "@.*$", with: "" } },
        LastName: { firstOf: ["name.familyName", "displayName"] },
        ProfileId: {
          lookup: {
            of: "title",
            table: { Boss: "System Administrator" },
            default: { const: "Standard User" },
          },
        },
      },
      groupRules: [
        {
          group: { pattern: "Sales *" },
          set: { ProfileId: "Standard User", permissionSets: ["Sales_Cloud"] },
        },
        { group: { regex: "^Admins?$" }, set: { publicGroups: ["All Admins"] } },
      ],
    };
    expect(errorsOf(spec)).toEqual([]);
    expect(
      errorsOf({ groupRules: [{ group: "Tableau Creators", set: { siteRole: "Creator" } }] }, "tableau"),
    ).toEqual([]);
  });

  it("accepts the built-in default mappings (they use only the documented language)", () => {
    expect(errorsOf(defaultSalesforceMapping, "salesforce")).toEqual([]);
    expect(errorsOf(defaultTableauMapping, "tableau")).toEqual([]);
  });

  it.each(Object.keys(SPECS) as Kind[])("defaults both parts so an empty %s mapping is valid", (kind) => {
    expect(SPECS[kind].parse({})).toEqual({ fields: {}, groupRules: [] });
  });
});

describe("a kind's mapping schema explains each mistake at its key path", () => {
  it.each([
    [{ fields: { Alias: { concatt: ["userName"] } } }, 'fields.Alias: unknown expression operator "concatt"'],
    [
      { fields: { Alias: { lower: "a", upper: "b" } } },
      "fields.Alias: an expression object needs exactly one operator key",
    ],
    [{ fields: { Alias: 8 } }, "fields.Alias: expected a SCIM path string"],
    [
      { fields: { Email: 'emails[type eq "work"' } },
      'fields.Email: invalid SCIM path "emails[type eq \\"work\\"": a "[" filter is not closed',
    ],
    [{ fields: { Email: "emails[type equals 1]" } }, "fields.Email: invalid SCIM path"],
    [{ fields: { Email: "name..givenName" } }, "fields.Email: invalid SCIM path"],
    [
      { fields: { Email: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:" } },
      'must be followed by ":attributeName"',
    ],
    [
      { fields: { Alias: { substring: { of: "userName", length: -1 } } } },
      "fields.Alias.substring.length: length must be a whole number ≥ 0",
    ],
    [
      { fields: { Alias: { substring: { of: "userName" } } } },
      'fields.Alias.substring.length: substring needs "length"',
    ],
    [
      { fields: { Alias: { substring: { of: "userName", length: 8, end: 3 } } } },
      'fields.Alias.substring.end: unknown key "end"',
    ],
    [
      { fields: { Alias: { substring: { of: { lowr: "userName" }, length: 8 } } } },
      'fields.Alias.substring.of: unknown expression operator "lowr"',
    ],
    [
      { fields: { X: { replace: { of: "userName", pattern: "(", with: "" } } } },
      'fields.X.replace.pattern: pattern "(" is not a valid regular expression',
    ],
    [
      { fields: { X: { replace: { of: "userName", pattern: "a" } } } },
      'fields.X.replace.with: replace needs "with"',
    ],
    [{ fields: { X: { concat: [] } } }, "fields.X.concat: concat takes a non-empty list of expressions"],
    [
      { fields: { X: { firstOf: ["userName", { const: {} }] } } },
      "fields.X.firstOf.1.const: const must be a string",
    ],
    [
      { fields: { X: { lookup: { of: "title", table: { a: 1 } } } } },
      "fields.X.lookup.table: table must map strings to strings",
    ],
    [{ field: {} }, 'unknown key "field" in a mapping; allowed: fields, groupRules'],
  ])("%j", (input, expected) => {
    const errors = errorsOf(input);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join("\n")).toContain(expected);
  });

  // Group rules: each kind names the keys its rules may set, and says so when a rule sets another.
  it.each<[Kind, unknown, string]>([
    [
      "tableau",
      { groupRules: [{ group: "G", set: { siteRole: "Admin" } }] },
      'groupRules.0.set.siteRole: "Admin" is not a Tableau site role that can be assigned; use one of: Creator',
    ],
    [
      "tableau",
      { groupRules: [{ group: "G", set: { siteRole: "ServerAdministrator" } }] },
      "groupRules.0.set.siteRole",
    ],
    [
      "tableau",
      { groupRules: [{ group: "G", set: {} }] },
      "groupRules.0.set: set must set at least one of: siteRole",
    ],
    [
      "salesforce",
      { groupRules: [{ group: "G", set: {} }] },
      "groupRules.0.set: set must set at least one of: ProfileId, permissionSets, publicGroups",
    ],
    [
      "salesforce",
      { groupRules: [{ group: "G", set: { profile: "x" } }] },
      'groupRules.0.set: unknown key "profile" in set; allowed: ProfileId, permissionSets, publicGroups',
    ],
    [
      "tableau",
      { groupRules: [{ group: "G", set: { ProfileId: "Standard User" } }] },
      'groupRules.0.set: unknown key "ProfileId" in set; allowed: siteRole',
    ],
    [
      "salesforce",
      { groupRules: [{ group: "G", set: { siteRole: "Creator" } }] },
      'groupRules.0.set: unknown key "siteRole" in set; allowed: ProfileId, permissionSets, publicGroups',
    ],
    [
      "tableau",
      { groupRules: [{ group: 7, set: { siteRole: "Viewer" } }] },
      "groupRules.0.group: group must be a group displayName",
    ],
    [
      "tableau",
      { groupRules: [{ group: { regex: "[" }, set: { siteRole: "Viewer" } }] },
      'groupRules.0.group.regex: regex "[" is not a valid regular expression',
    ],
    [
      "salesforce",
      { groupRules: [{ group: "G", set: { permissionSets: "Sales" } }] },
      "groupRules.0.set.permissionSets: permission sets must be a list of names",
    ],
    [
      "tableau",
      { groupRules: [{ group: "G" }] },
      "groupRules.0.set: set must be an object with keys siteRole",
    ],
    [
      "salesforce",
      { groupRules: [{ group: "G" }] },
      "groupRules.0.set: set must be an object with keys ProfileId, permissionSets, publicGroups",
    ],
  ])("%s: %j", (kind, input, expected) => {
    const errors = errorsOf(input, kind);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join("\n")).toContain(expected);
  });

  it("reports every mistake at once, readable with zod's prettifyError", () => {
    const result = TableauMappingSpec.safeParse({
      fields: { A: { concatt: [] }, B: "emails[" },
      groupRules: [{ group: "G", set: { siteRole: "Boss" } }],
    });
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(result.error.issues).toHaveLength(3);
    const pretty = z.prettifyError(result.error);
    expect(pretty).toContain("→ at fields.A");
    expect(pretty).toContain("→ at fields.B");
    expect(pretty).toContain("→ at groupRules[0].set.siteRole");
  });
});
