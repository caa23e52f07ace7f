import { describe, expect, it } from "vitest";
import { type MappedFields, mergeMapping } from "../../src/mapping/index.ts";
import { SALESFORCE_USER_URN } from "../../src/targets/salesforce/extension.ts";
import {
  defaultSalesforceMapping,
  mapSalesforceUser,
  SalesforceMappingSpec,
} from "../../src/targets/salesforce/mapping.ts";
import { validateSalesforceUser } from "../../src/targets/salesforce/validate.ts";
import { TABLEAU_USER_URN } from "../../src/targets/tableau/extension.ts";
import { validateTableauUser } from "../../src/targets/tableau/mapping.ts";

const validSalesforce: MappedFields = {
  Username: "jane.doe@example.com",
  Email: "jane@example.com",
  FirstName: "Jane",
  LastName: "Doe",
  Alias: "jdoe",
  CommunityNickname: null,
  TimeZoneSidKey: "America/Los_Angeles",
  LocaleSidKey: "en_US",
  EmailEncodingKey: "UTF-8",
  LanguageLocaleKey: "en_US",
  ProfileId: "00e000000000001AAA",
  Title: null,
  IsActive: true,
};

const problemsFor = (changes: MappedFields) => validateSalesforceUser({ ...validSalesforce, ...changes });

describe("Salesforce pre-flight", () => {
  it("finds nothing wrong with a complete record", () => {
    expect(validateSalesforceUser(validSalesforce)).toEqual([]);
  });

  it("accepts a profile given by name instead of an Id", () => {
    expect(problemsFor({ ProfileId: undefined, ProfileName: "Standard User" })).toEqual([]);
  });

  it.each([
    "Username",
    "LastName",
    "Email",
    "Alias",
    "TimeZoneSidKey",
    "LocaleSidKey",
    "EmailEncodingKey",
    "LanguageLocaleKey",
  ])("requires %s", (field) => {
    const problems = problemsFor({ [field]: null });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ field, code: "REQUIRED_FIELD_MISSING" });
    expect(problems[0]?.detail).toContain(`Salesforce field ${field} is required but is empty after mapping`);
  });

  it("names the SCIM source and the extension attribute of a missing field", () => {
    const [problem] = problemsFor({ LastName: "" });
    expect(problem?.detail).toContain("name.familyName / displayName / userName");
    const [alias] = problemsFor({ Alias: null });
    expect(alias?.detail).toContain(`set ${SALESFORCE_USER_URN}:Alias`);
  });

  it("requires a profile and says every way to give one", () => {
    const [problem] = problemsFor({ ProfileId: null });
    expect(problem).toMatchObject({ field: "ProfileId", code: "REQUIRED_FIELD_MISSING" });
    expect(problem?.detail).toContain(`${SALESFORCE_USER_URN}:ProfileId`);
    expect(problem?.detail).toContain("entitlement");
    expect(problem?.detail).toContain("groupRules");
  });

  it("explains an Alias over 8 characters with its length and the fixes", () => {
    const [problem] = problemsFor({ Alias: "jonathan.s" });
    expect(problem).toEqual({
      field: "Alias",
      code: "STRING_TOO_LONG",
      detail: `Salesforce field Alias is "jonathan.s" (10 characters) — at most 8 allowed; set ${SALESFORCE_USER_URN}:Alias, or shorten the SCIM attribute it is mapped from (name.givenName / name.familyName / userName)`,
    });
  });

  it("counts characters, not bytes, for lengths", () => {
    expect(problemsFor({ Alias: "zoëñúñez" })).toEqual([]);
  });

  it.each([
    ["Username", `${"u".repeat(70)}@example.com`, 80],
    ["Email", `${"e".repeat(120)}@example.com`, 128],
    ["LastName", "L".repeat(81), 80],
    ["FirstName", "F".repeat(41), 40],
    ["CommunityNickname", "n".repeat(41), 40],
    ["Title", "T".repeat(81), 80],
    ["Phone", "1".repeat(41), 40],
  ])("limits %s to %i characters", (field, value, max) => {
    const problems = problemsFor({ [field]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ field, code: "STRING_TOO_LONG" });
    expect(problems[0]?.detail).toContain(`at most ${max} allowed`);
  });

  it("requires an email-shaped Username", () => {
    const [problem] = problemsFor({ Username: "jdoe" });
    expect(problem).toMatchObject({ field: "Username", code: "INVALID_USERNAME" });
    expect(problem?.detail).toContain(
      'Salesforce field Username is "jdoe" — it must look like an email address',
    );
    expect(problem?.detail).toContain("(userName)");
  });

  it.each(["jane", "jane@", "jane@example", "ja ne@example.com", "a@b@c.com"])(
    "rejects the Email %j",
    (email) => {
      const problems = problemsFor({ Email: email });
      expect(problems.map((p) => [p.field, p.code])).toEqual([["Email", "INVALID_EMAIL_ADDRESS"]]);
      expect(problems[0]?.detail).toContain("emails[primary eq true].value");
    },
  );

  it.each([
    ["LocaleSidKey", "en-US", 'did you mean "en_US"?'],
    ["LanguageLocaleKey", "klingon", "not a Salesforce language"],
    ["EmailEncodingKey", "utf8", 'did you mean "UTF-8"?'],
    ["TimeZoneSidKey", "Pacific Time", 'not an IANA time zone (like "America/New_York") or "GMT"'],
    ["TimeZoneSidKey", "US/Pacific", "not an IANA time zone"],
  ])("rejects %s %j", (field, value, hint) => {
    const problems = problemsFor({ [field]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ field, code: "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST" });
    expect(problems[0]?.detail).toContain(hint);
    expect(problems[0]?.detail).toContain(`set ${SALESFORCE_USER_URN}:${field}`);
  });

  it.each(["GMT", "Europe/London", "Asia/Kolkata", "Asia/Calcutta", "America/Argentina/Buenos_Aires"])(
    "accepts the time zone %s",
    (zone) => {
      expect(problemsFor({ TimeZoneSidKey: zone })).toEqual([]);
    },
  );

  it("names the configured source when the mapping was overridden", () => {
    const mapping = mergeMapping(
      defaultSalesforceMapping,
      SalesforceMappingSpec.parse({ fields: { Alias: { substring: { of: "externalId", length: 20 } } } }),
    );
    const fields = mapSalesforceUser(mapping, {
      user: { userName: "a@b.co", externalId: "a-very-long-external-id", name: { familyName: "B" } },
      groups: [],
    });
    const alias = validateSalesforceUser(fields, { mapping }).find((p) => p.field === "Alias");
    expect(alias?.detail).toContain("(externalId)");
  });

  it("reports what a bare SCIM user without a profile lacks", () => {
    const fields = mapSalesforceUser(defaultSalesforceMapping, { user: { userName: "王小明" }, groups: [] });
    expect(validateSalesforceUser(fields).map((p) => `${p.field}:${p.code}`)).toEqual([
      "Email:REQUIRED_FIELD_MISSING",
      "Alias:REQUIRED_FIELD_MISSING",
      "ProfileId:REQUIRED_FIELD_MISSING",
      "Username:INVALID_USERNAME",
    ]);
  });
});

describe("Tableau pre-flight", () => {
  const valid: MappedFields = {
    name: "ana@example.com",
    fullName: "Ana",
    email: "ana@example.com",
    siteRole: "Viewer",
  };

  it("finds nothing wrong with a complete user", () => {
    expect(validateTableauUser(valid)).toEqual([]);
    expect(validateTableauUser({ ...valid, authSetting: "TableauIDWithMFA" })).toEqual([]);
  });

  it.each(["name", "siteRole"])("requires %s", (field) => {
    const problems = validateTableauUser({ ...valid, [field]: null });
    expect(problems.map((p) => [p.field, p.code])).toEqual([[field, "REQUIRED_FIELD_MISSING"]]);
    expect(problems[0]?.detail).toContain(`Tableau field ${field} is required`);
  });

  it("rejects a site role Tableau would answer 400013 to, listing the valid ones", () => {
    const [problem] = validateTableauUser({ ...valid, siteRole: "Admin" });
    expect(problem).toMatchObject({ field: "siteRole", code: "INVALID_SITE_ROLE" });
    expect(problem?.detail).toContain(
      'Tableau field siteRole is "Admin" — not a Tableau site role that can be assigned',
    );
    expect(problem?.detail).toContain("SiteAdministratorCreator");
    expect(problem?.detail).toContain(`set ${TABLEAU_USER_URN}:siteRole`);
  });

  it("explains that ServerAdministrator cannot be assigned", () => {
    const [problem] = validateTableauUser({ ...valid, siteRole: "ServerAdministrator" });
    expect(problem?.detail).toContain("ServerAdministrator cannot be assigned through the REST API");
  });

  it("rejects an unknown authSetting", () => {
    const [problem] = validateTableauUser({ ...valid, authSetting: "LDAP" });
    expect(problem).toMatchObject({ field: "authSetting", code: "INVALID_AUTH_SETTING" });
    expect(problem?.detail).toContain("use one of SAML, OpenID, TableauIDWithMFA, ServerDefault");
  });

  it("rejects a malformed email", () => {
    const [problem] = validateTableauUser({ ...valid, email: "ana-at-example" });
    expect(problem).toMatchObject({ field: "email", code: "INVALID_EMAIL_ADDRESS" });
  });
});
