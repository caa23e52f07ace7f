import { describe, expect, it } from "vitest";
import { type MappingSpecInput, mergeMapping, type ScimUser } from "../../src/mapping/index.ts";
import { SALESFORCE_USER_URN } from "../../src/targets/salesforce/extension.ts";
import {
  defaultSalesforceMapping,
  mapSalesforceUser,
  SalesforceMappingSpec,
} from "../../src/targets/salesforce/mapping.ts";

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

const map = (user: ScimUser, groups: string[] = [], override?: MappingSpecInput) =>
  mapSalesforceUser(
    mergeMapping(defaultSalesforceMapping, override && SalesforceMappingSpec.parse(override)),
    {
      user,
      groups,
    },
  );

const jane: ScimUser = {
  userName: "jane.doe@example.com",
  externalId: "00u1abc",
  name: { givenName: "Jane", familyName: "Doe" },
  displayName: "Jane Doe",
  title: "Controller",
  emails: [{ value: "jane@work.example", type: "work" }],
  phoneNumbers: [
    { value: "+1 555 0100", type: "mobile" },
    { value: "+1 555 0199", type: "work" },
  ],
  active: true,
  [ENTERPRISE]: { department: "Finance" },
};

describe("default Salesforce mapping", () => {
  it("fills every required User field and the usual optional ones", () => {
    expect(map(jane)).toEqual({
      Username: "jane.doe@example.com",
      Email: "jane@work.example",
      FirstName: "Jane",
      LastName: "Doe",
      Alias: "jdoe",
      CommunityNickname: null,
      TimeZoneSidKey: "America/Los_Angeles",
      LocaleSidKey: "en_US",
      EmailEncodingKey: "UTF-8",
      LanguageLocaleKey: "en_US",
      FederationIdentifier: "jane.doe@example.com",
      Title: "Controller",
      Department: "Finance",
      Phone: "+1 555 0199",
      IsActive: true,
    });
  });

  it.each([
    [
      "the primary email over the work one",
      [
        { value: "w@x.io", type: "work" },
        { value: "p@x.io", primary: true },
      ],
      "p@x.io",
    ],
    [
      "the work email when none is primary",
      [
        { value: "h@x.io", type: "home" },
        { value: "w@x.io", type: "work" },
      ],
      "w@x.io",
    ],
    ["any email when none is work", [{ value: "h@x.io", type: "home" }], "h@x.io"],
    ["userName when it is email-shaped and there are no emails", undefined, "jane.doe@example.com"],
  ])("Email takes %s", (_what, emails, expected) => {
    expect(map({ ...jane, emails }).Email).toBe(expected);
  });

  it("leaves Email empty when there is no email and userName is not email-shaped", () => {
    expect(map({ userName: "jdoe", name: { familyName: "Doe" } }).Email).toBeNull();
  });

  it.each([
    ["familyName", { name: { familyName: "Doe" }, displayName: "J D" }, "Doe"],
    ["displayName without a familyName", { displayName: "Prince" }, "Prince"],
    ["userName's local part without any name", {}, "jane.doe"],
  ])("LastName comes from %s", (_what, extra, expected) => {
    expect(map({ userName: "jane.doe@example.com", ...extra }).LastName).toBe(expected);
  });

  it('maps SCIM active=false (also Entra\'s "False") to IsActive=false', () => {
    expect(map({ ...jane, active: false }).IsActive).toBe(false);
    expect(map({ ...jane, active: "False" }).IsActive).toBe(false);
  });
});

describe("Alias derivation (at most 8 ASCII characters)", () => {
  it.each([
    ["given + family", { givenName: "Jane", familyName: "Doe" }, "u@x.io", "jdoe"],
    ["accented unicode names", { givenName: "Zoë", familyName: "Ñúñez" }, "u@x.io", "znunez"],
    ["letters without decomposition", { givenName: "Łukasz", familyName: "Øbergßon" }, "u@x.io", "lobergss"],
    [
      "a long family name cut to 7",
      { givenName: "Maximilian", familyName: "Wolfeschlegelstein" },
      "u@x.io",
      "mwolfesc",
    ],
    ["very short names", { givenName: "A", familyName: "Li" }, "u@x.io", "ali"],
    ["a family name only", { familyName: "Okafor" }, "u@x.io", "okafor"],
    ["apostrophes and spaces dropped", { givenName: "Mary Ann", familyName: "O'Neil" }, "u@x.io", "moneil"],
    ["no name: userName's local part", undefined, "Jonathan.Smith@example.com", "jonathan"],
    [
      "a name with no ASCII form: userName's local part",
      { givenName: "王", familyName: "小明" },
      "xm.wang@x.cn",
      "xm.wang",
    ],
  ])("%s", (_what, name, userName, alias) => {
    const out = map({ userName, name });
    expect(out.Alias).toBe(alias);
    expect(Array.from(String(out.Alias)).length).toBeLessThanOrEqual(8);
  });

  it("is empty when neither the name nor userName has any ASCII letter", () => {
    expect(map({ userName: "王小明", name: { givenName: "王" } }).Alias).toBeNull();
  });
});

describe("config overrides of the default mapping", () => {
  it("replaces only the fields it names", () => {
    const out = map(jane, [], {
      fields: { TimeZoneSidKey: { const: "Europe/Paris" }, FederationIdentifier: "externalId" },
    });
    expect(out.TimeZoneSidKey).toBe("Europe/Paris");
    expect(out.FederationIdentifier).toBe("00u1abc");
    expect(out.Alias).toBe("jdoe");
  });

  it("adds fields the default does not have", () => {
    expect(map(jane, [], { fields: { Division: { const: "EMEA" } } }).Division).toBe("EMEA");
  });
});

describe("ProfileId by id, by name, by entitlement and by extension", () => {
  it("keeps an Id in ProfileId and turns a profile name into ProfileName for the target to resolve", () => {
    const byId = map(jane, [], { fields: { ProfileId: { const: "00e5g000001AbCdEAF" } } });
    expect(byId.ProfileId).toBe("00e5g000001AbCdEAF");
    expect(byId).not.toHaveProperty("ProfileName");
    const byName = map(jane, [], { fields: { ProfileId: { const: "Standard User" } } });
    expect(byName.ProfileName).toBe("Standard User");
    expect(byName).not.toHaveProperty("ProfileId");
  });

  it("takes the profile from SCIM entitlements as Salesforce's own SCIM API sends it", () => {
    const user = { ...jane, entitlements: [{ value: "00e5g000001AbCdEAF", display: "Standard User" }] };
    expect(map(user).ProfileId).toBe("00e5g000001AbCdEAF");
  });

  it("prefers the primary profile entitlement and collects permission-set entitlements", () => {
    const user = {
      ...jane,
      entitlements: [
        { value: "00e000000000001AAA" },
        { value: "0PS000000000001AAA" },
        { value: "00e000000000002AAA", primary: true },
        { value: "Marketing User", type: "Profile" },
      ],
    };
    const out = map(user);
    expect(out.ProfileId).toBe("00e000000000002AAA");
    expect(out.permissionSets).toEqual(["0PS000000000001AAA"]);
  });

  it("lets an entitlement override a group rule's profile", () => {
    const rules = { groupRules: [{ group: "Sales", set: { ProfileId: "Standard User" } }] };
    const user = { ...jane, entitlements: [{ value: "00e000000000009AAA" }] };
    expect(map(user, ["Sales"], rules).ProfileId).toBe("00e000000000009AAA");
  });

  it("ignores entitlements that are neither profiles nor permission sets", () => {
    expect(map({ ...jane, entitlements: [{ value: "Creator" }] })).not.toHaveProperty("ProfileName");
  });
});

describe("the Salesforce extension overrides the mapping per user", () => {
  const overrides = {
    ProfileId: "00e000000000007AAA",
    Alias: "jd",
    TimeZoneSidKey: "Europe/Berlin",
    LocaleSidKey: "de_DE",
    EmailEncodingKey: "ISO-8859-1",
    LanguageLocaleKey: "de",
    FederationIdentifier: "jane@idp",
    CommunityNickname: "janed",
  };

  it("replaces every overridable field, beating group rules and entitlements", () => {
    const user = {
      ...jane,
      entitlements: [{ value: "00e000000000001AAA" }],
      [SALESFORCE_USER_URN]: overrides,
    };
    const out = map(user, ["Sales"], {
      groupRules: [{ group: "Sales", set: { ProfileId: "Standard User" } }],
    });
    expect(out).toMatchObject(overrides);
  });

  it("adds its permission sets to those of the group rules", () => {
    const user = { ...jane, [SALESFORCE_USER_URN]: { permissionSets: ["Reports", "Extra"] } };
    const out = map(user, ["Sales"], {
      groupRules: [{ group: "Sales", set: { permissionSets: ["Sales_Cloud", "reports"] } }],
    });
    expect(out.permissionSets).toEqual(["Sales_Cloud", "reports", "Extra"]);
  });

  it("ignores empty extension values and still reads the URN regardless of case", () => {
    const user = {
      ...jane,
      [SALESFORCE_USER_URN.toLowerCase()]: { Alias: "", TimeZoneSidKey: "Asia/Tokyo" },
    };
    const out = map(user);
    expect(out.Alias).toBe("jdoe");
    expect(out.TimeZoneSidKey).toBe("Asia/Tokyo");
  });
});
