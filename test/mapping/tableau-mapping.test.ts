import { describe, expect, it } from "vitest";
import { type MappingSpecInput, mergeMapping, type ScimUser } from "../../src/mapping/index.ts";
import { TABLEAU_CLOUD_BODY_URN, TABLEAU_USER_URN } from "../../src/targets/tableau/extension.ts";
import {
  defaultTableauMapping,
  mapTableauUser,
  TableauMappingSpec,
} from "../../src/targets/tableau/mapping.ts";

const map = (user: ScimUser, groups: string[] = [], override?: MappingSpecInput) =>
  mapTableauUser(mergeMapping(defaultTableauMapping, override && TableauMappingSpec.parse(override)), {
    user,
    groups,
  });

const base: ScimUser = {
  userName: "ana@example.com",
  name: { givenName: "Ana", familyName: "Silva" },
  emails: [{ value: "ana.silva@example.com", primary: true }],
};

describe("default Tableau mapping", () => {
  it("maps name, fullName, email and the default site role", () => {
    expect(map({ ...base, displayName: "Ana S." })).toEqual({
      name: "ana@example.com",
      fullName: "Ana S.",
      email: "ana.silva@example.com",
      siteRole: "Viewer",
    });
  });

  it.each([
    ["given + family without a displayName", { givenName: "Ana", familyName: "Silva" }, "Ana Silva"],
    ["the given name alone", { givenName: "Ana" }, "Ana"],
    ["the formatted name when there are no parts", { formatted: "Dr. Ana Silva" }, "Dr. Ana Silva"],
  ])("fullName from %s", (_what, name, expected) => {
    expect(map({ userName: "ana@example.com", name }).fullName).toBe(expected);
  });

  it("takes the default site role from the target's config", () => {
    expect(map(base, [], { fields: { siteRole: { const: "Unlicensed" } } }).siteRole).toBe("Unlicensed");
  });

  it("raises the role with group rules", () => {
    const rules = { groupRules: [{ group: "Tableau Creators", set: { siteRole: "Creator" as const } }] };
    expect(map(base, ["Tableau Creators"], rules).siteRole).toBe("Creator");
  });
});

describe("the Tableau extension overrides the mapping per user", () => {
  const rules = { groupRules: [{ group: "Tableau Creators", set: { siteRole: "Creator" as const } }] };

  it.each([
    [
      "siteRole and authSetting under :User",
      { [TABLEAU_USER_URN]: { siteRole: "Explorer", authSetting: "SAML" } },
      "Explorer",
      "SAML",
    ],
    [
      "Tableau Cloud's documented body (siteRoles under the URN without :User)",
      {
        [TABLEAU_CLOUD_BODY_URN]: {
          siteRoles: [{ value: "ExplorerCanPublish" }],
          entitlements: [{ value: "ExplorerCanPublish" }],
        },
      },
      "ExplorerCanPublish",
      undefined,
    ],
    [
      "entitlements alone",
      { [TABLEAU_CLOUD_BODY_URN]: { entitlements: [{ value: "Viewer" }] } },
      "Viewer",
      undefined,
    ],
    [
      "a role spelled in another case",
      { [TABLEAU_USER_URN]: { siteRole: "siteadministratorexplorer", authSetting: "openid" } },
      "SiteAdministratorExplorer",
      "OpenID",
    ],
  ])("%s", (_what, extension, role, auth) => {
    const out = map({ ...base, ...extension }, ["Tableau Creators"], rules);
    expect(out.siteRole).toBe(role);
    expect(out.authSetting).toBe(auth);
  });

  it("prefers the :User extension when both keys are present", () => {
    const user = {
      ...base,
      [TABLEAU_CLOUD_BODY_URN]: { siteRoles: [{ value: "Viewer" }] },
      [TABLEAU_USER_URN]: { siteRole: "Creator" },
    };
    expect(map(user).siteRole).toBe("Creator");
  });

  it("passes an unknown role through so pre-flight can name it", () => {
    expect(map({ ...base, [TABLEAU_USER_URN]: { siteRole: "Boss" } }).siteRole).toBe("Boss");
  });
});
