import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  evaluate,
  type MappingSpecInput,
  mappingSpecSchema,
  nameList,
  nonEmptyName,
  type RuleKeys,
} from "../../src/mapping/index.ts";
import { SALESFORCE_RULE_KEYS } from "../../src/targets/salesforce/mapping.ts";
import { TABLEAU_RULE_KEYS } from "../../src/targets/tableau/mapping.ts";
import { highestSiteRole } from "../../src/targets/tableau/roles.ts";

const user = { userName: "u@example.com" };

/** A kind's rules through its config schema and the engine, as a target of that kind maps a user. */
const mapperFor =
  (keys: RuleKeys) =>
  (groupRules: MappingSpecInput["groupRules"], groups: string[], fields: MappingSpecInput["fields"] = {}) =>
    evaluate(mappingSpecSchema(keys).parse({ fields, groupRules }), { user, groups }, keys);
const tableauMap = mapperFor(TABLEAU_RULE_KEYS);
const salesforceMap = mapperFor(SALESFORCE_RULE_KEYS);

describe("Tableau siteRole: the highest role among matching rules wins", () => {
  const rules: MappingSpecInput["groupRules"] = [
    { group: "Tableau Viewers", set: { siteRole: "Viewer" } },
    { group: "Tableau Creators", set: { siteRole: "Creator" } },
    { group: "Tableau Explorers", set: { siteRole: "Explorer" } },
    { group: "Tableau Publishers", set: { siteRole: "ExplorerCanPublish" } },
    { group: "Tableau Admins", set: { siteRole: "SiteAdministratorExplorer" } },
    { group: "Tableau Super Admins", set: { siteRole: "SiteAdministratorCreator" } },
    { group: "Leavers", set: { siteRole: "Unlicensed" } },
  ];

  it.each([
    [["Tableau Viewers", "Tableau Creators", "Tableau Explorers"], "Creator"],
    [["Tableau Creators", "Tableau Viewers"], "Creator"],
    [["Tableau Explorers", "Tableau Publishers"], "ExplorerCanPublish"],
    [["Tableau Viewers", "Leavers"], "Viewer"],
    [["Tableau Publishers", "Tableau Admins"], "SiteAdministratorExplorer"],
    [["Tableau Super Admins", "Tableau Creators", "Tableau Admins"], "SiteAdministratorCreator"],
    // Admin rights from one group and a Creator licence from another: neither is dropped.
    [["Tableau Creators", "Tableau Admins"], "SiteAdministratorCreator"],
    [["tableau creators"], "Creator"],
  ])("groups %j → %s", (groups, role) => {
    expect(tableauMap(rules, groups, { siteRole: { const: "Viewer" } }).siteRole).toBe(role);
  });

  it("keeps the mapped default when no rule matches", () => {
    expect(tableauMap(rules, ["Marketing"], { siteRole: { const: "Viewer" } }).siteRole).toBe("Viewer");
  });

  it("lets a matching rule lower the mapped default (the default is only a default)", () => {
    expect(tableauMap(rules, ["Leavers"], { siteRole: { const: "Explorer" } }).siteRole).toBe("Unlicensed");
  });

  it("orders the roles as Tableau licences them", () => {
    const ascending = [
      "Unlicensed",
      "Viewer",
      "Explorer",
      "ExplorerCanPublish",
      "SiteAdministratorExplorer",
      "Creator",
      "SiteAdministratorCreator",
      "ServerAdministrator",
    ];
    for (let i = 1; i < ascending.length; i++) {
      const lower = ascending[i - 1] as string;
      const higher = ascending[i] as string;
      // Creator and SiteAdministratorExplorer combine into SiteAdministratorCreator; all others are ordered.
      if (lower === "SiteAdministratorExplorer") continue;
      expect(highestSiteRole([higher, lower])).toBe(higher);
      expect(highestSiteRole([lower, higher])).toBe(higher);
    }
    expect(highestSiteRole(["ServerAdministrator", "Creator"])).toBe("ServerAdministrator");
    expect(highestSiteRole(["Bogus"])).toBeUndefined();
  });
});

describe("Salesforce ProfileId: the first matching rule in order wins", () => {
  const rules: MappingSpecInput["groupRules"] = [
    { group: "Salesforce Admins", set: { ProfileId: "System Administrator" } },
    { group: { pattern: "Sales *" }, set: { ProfileId: "00e000000000001AAA" } },
    { group: "Everyone", set: { ProfileId: "Chatter Free User" } },
  ];

  it.each([
    [["Everyone", "Sales EMEA"], "00e000000000001AAA"],
    [["Everyone", "Sales EMEA", "Salesforce Admins"], "System Administrator"],
    [["Everyone"], "Chatter Free User"],
    [["SALES emea"], "00e000000000001AAA"],
  ])("groups %j → %s", (groups, profile) => {
    expect(salesforceMap(rules, groups).ProfileId).toBe(profile);
  });

  it("falls back to the mapped ProfileId when no rule matches", () => {
    expect(salesforceMap(rules, ["Nobody"], { ProfileId: { const: "Standard User" } }).ProfileId).toBe(
      "Standard User",
    );
  });

  it("matches regex rules against the whole displayName, ignoring case", () => {
    const regexRules: MappingSpecInput["groupRules"] = [
      { group: { regex: "^sales-(emea|apac)$" }, set: { ProfileId: "P" } },
    ];
    expect(salesforceMap(regexRules, ["Sales-APAC"]).ProfileId).toBe("P");
    expect(salesforceMap(regexRules, ["Sales-Americas"]).ProfileId).toBeUndefined();
  });
});

describe("permission sets and public groups: the union of all matching rules", () => {
  const rules: MappingSpecInput["groupRules"] = [
    { group: "Sales", set: { permissionSets: ["Sales_Cloud", "Reports"], publicGroups: ["Sales Team"] } },
    { group: "Managers", set: { permissionSets: ["reports", "Approvals"], publicGroups: ["Managers"] } },
    { group: "Contractors", set: { permissionSets: ["Limited"] } },
  ];

  it("merges the lists without case-insensitive duplicates, in rule order", () => {
    const out = salesforceMap(rules, ["Managers", "Sales"]);
    expect(out.permissionSets).toEqual(["Sales_Cloud", "Reports", "Approvals"]);
    expect(out.publicGroups).toEqual(["Sales Team", "Managers"]);
  });

  it("gives empty lists when rules manage them but none matches, so the target can remove", () => {
    const out = salesforceMap(rules, ["Marketing"]);
    expect(out.permissionSets).toEqual([]);
    expect(out.publicGroups).toEqual([]);
  });

  it("leaves the lists out when no rule manages them", () => {
    const out = salesforceMap([{ group: "Sales", set: { ProfileId: "Standard User" } }], ["Sales"]);
    expect(out).not.toHaveProperty("permissionSets");
    expect(out).not.toHaveProperty("publicGroups");
  });
});

describe("the engine combines any kind's keys as the kind declares them", () => {
  // A made-up kind: the engine knows none of these names.
  const TIERS = ["bronze", "silver", "gold"];
  const keys: RuleKeys = {
    tier: {
      value: z.enum(TIERS),
      combine: (values) => TIERS[Math.max(...values.map((v) => TIERS.indexOf(v as string)))],
    },
    department: { value: nonEmptyName("department"), combine: "first" },
    channels: { value: nameList("channel"), combine: "union" },
  };
  const map = mapperFor(keys);
  const rules: MappingSpecInput["groupRules"] = [
    { group: "Support", set: { tier: "silver", department: "Support", channels: ["#support"] } },
    { group: "VIP", set: { tier: "gold", channels: ["#vip", "#SUPPORT"] } },
    { group: "Everyone", set: { tier: "bronze", department: "General" } },
  ];

  it("picks, takes the first, and unions as declared", () => {
    expect(map(rules, ["Everyone", "VIP", "Support"], { tier: { const: "bronze" } })).toEqual({
      tier: "gold",
      department: "Support",
      channels: ["#support", "#vip"],
    });
    expect(map(rules, ["Nobody"], { tier: { const: "bronze" } })).toEqual({ tier: "bronze", channels: [] });
  });

  it("refuses a key the kind does not declare, naming the ones it does", () => {
    const result = mappingSpecSchema(keys).safeParse({
      groupRules: [{ group: "G", set: { siteRole: "Creator" } }],
    });
    expect(result.error?.issues[0]?.message).toBe(
      'unknown key "siteRole" in set; allowed: tier, department, channels',
    );
  });
});
