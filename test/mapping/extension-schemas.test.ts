import { describe, expect, it } from "vitest";
import { toScimmySchemaDefinition } from "../../src/mapping/index.ts";
import { userExtensions } from "../../src/targets/registry.ts";
import { SALESFORCE_USER_URN, salesforceUserExtension } from "../../src/targets/salesforce/extension.ts";
import { TABLEAU_USER_URN, tableauUserExtension } from "../../src/targets/tableau/extension.ts";

describe("extension schemas for the SCIM layer", () => {
  it("uses the documented URNs", () => {
    expect(salesforceUserExtension.id).toBe("urn:ietf:params:scim:schemas:extension:salesforce:2.0:User");
    expect(tableauUserExtension.id).toBe("urn:ietf:params:scim:schemas:extension:tableau:3.0:User");
    // Each kind brings its own; the SCIM layer declares those of the registered kinds.
    expect(userExtensions().map((e) => e.id)).toEqual([SALESFORCE_USER_URN, TABLEAU_USER_URN]);
  });

  it("lists every per-user Salesforce override", () => {
    expect(salesforceUserExtension.attributes.map((a) => a.name)).toEqual([
      "ProfileId",
      "Alias",
      "TimeZoneSidKey",
      "LocaleSidKey",
      "EmailEncodingKey",
      "LanguageLocaleKey",
      "FederationIdentifier",
      "CommunityNickname",
      "permissionSets",
    ]);
  });

  it("builds scimmy definitions that describe the attributes for /Schemas", () => {
    type Described = {
      id: string;
      attributes: { name: string; canonicalValues?: string[]; subAttributes?: { name: string }[] }[];
    };
    const described = JSON.parse(
      JSON.stringify(toScimmySchemaDefinition(tableauUserExtension).describe()),
    ) as Described;
    expect(described.id).toBe(TABLEAU_USER_URN);
    const siteRoles = described.attributes.find((a) => a.name === "siteRoles");
    expect(siteRoles).toMatchObject({ type: "complex", multiValued: true });
    expect(siteRoles?.subAttributes?.map((s) => s.name)).toEqual(["value"]);
    // Pre-flight owns picklist validation by default, so scimmy is not told about canonical values.
    expect(described.attributes.find((a) => a.name === "siteRole")?.canonicalValues ?? []).toEqual([]);
  });

  it("can hand canonical values to scimmy, which then enforces them", () => {
    const definition = toScimmySchemaDefinition(tableauUserExtension, { canonicalValues: true });
    const siteRole = definition.attribute("siteRole");
    expect(siteRole.config.canonicalValues).toContain("Creator");
    expect(() => siteRole.coerce("Boss")).toThrow(/non-canonical value/);
    expect(siteRole.coerce("Creator")).toBe("Creator");
  });

  it("accepts a user carrying the Salesforce extension", () => {
    const definition = toScimmySchemaDefinition(salesforceUserExtension);
    const coerced = definition.coerce({ Alias: "jd", permissionSets: ["A", "B"] });
    expect(coerced).toMatchObject({ Alias: "jd", permissionSets: ["A", "B"] });
  });
});
