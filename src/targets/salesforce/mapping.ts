// Salesforce: the default mapping, what group rules may set, and the per-user overrides (SCIM entitlements,
// Salesforce extension).
import {
  evaluate,
  getIgnoringCase,
  isEmpty,
  type MappedFields,
  type MappingInput,
  type MappingSpec,
  mappingSpecSchema,
  nameList,
  nonEmptyName,
  primaryOrFirst,
  type RuleKeys,
  scimEmailExpr,
  unionNames,
  userNameLocalPart,
} from "../../mapping/index.ts";
import { SALESFORCE_USER_URN } from "./extension.ts";

const ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/**
 * Built-in Salesforce mapping. Choices, with the peers they follow (reference §4):
 * - Alias: first letter of the given name + 7 of the family name, ASCII-folded and lower-cased
 *   ("Zoë Ñúñez" → "znunez"), else the first 8 of userName's local part (Okta's generator). The
 *   seed script's constant 'dummy' and Entra's Mid(UPN,1,8) give colliding or odd aliases.
 * - LastName is required: familyName, else displayName, else userName's local part (Entra uses ".").
 * - FederationIdentifier = userName: the SAML NameID an IdP asserts is the UPN/email (the Entra
 *   write-up maps userPrincipalName; Okta's federated variant masters Username), while externalId
 *   is an IdP-internal key (Entra objectId/mailNickname, Okta user id) that no assertion carries.
 * - EmailEncodingKey UTF-8 (baton-salesforce, Okta) rather than the seed's ISO-8859-1.
 * - ProfileId has no default: it comes from group rules, the extension, entitlements or config.
 */
export const defaultSalesforceMapping: MappingSpec = {
  fields: {
    Username: "userName",
    Email: scimEmailExpr,
    FirstName: "name.givenName",
    LastName: { firstOf: ["name.familyName", "displayName", userNameLocalPart] },
    Alias: {
      firstOf: [
        {
          lower: {
            concat: [
              { substring: { of: { ascii: "name.givenName" }, length: 1 } },
              { substring: { of: { ascii: "name.familyName" }, length: 7 } },
            ],
          },
        },
        { lower: { substring: { of: { ascii: userNameLocalPart }, length: 8 } } },
      ],
    },
    CommunityNickname: "nickName",
    TimeZoneSidKey: { const: "America/Los_Angeles" },
    LocaleSidKey: { const: "en_US" },
    EmailEncodingKey: { const: "UTF-8" },
    LanguageLocaleKey: { const: "en_US" },
    FederationIdentifier: "userName",
    Title: "title",
    Department: `${ENTERPRISE_URN}:department`,
    Phone: 'phoneNumbers[type eq "work"].value',
    IsActive: "active",
  },
  groupRules: [],
};

/**
 * What a Salesforce group rule may set: ProfileId, from the first matching rule in order (a user has exactly one
 * profile); permissionSets and publicGroups, the union of every matching rule.
 */
export const SALESFORCE_RULE_KEYS: RuleKeys = {
  ProfileId: { value: nonEmptyName("ProfileId"), combine: "first" },
  permissionSets: { value: nameList("permission set"), combine: "union" },
  publicGroups: { value: nameList("public group"), combine: "union" },
};

/** A Salesforce target's `mapping:` in the config file. */
export const SalesforceMappingSpec = mappingSpecSchema(SALESFORCE_RULE_KEYS);

/** Fields of the Salesforce extension that replace the mapped value when the user carries them. */
export const SALESFORCE_OVERRIDABLE_FIELDS = [
  "ProfileId",
  "Alias",
  "TimeZoneSidKey",
  "LocaleSidKey",
  "EmailEncodingKey",
  "LanguageLocaleKey",
  "FederationIdentifier",
  "CommunityNickname",
] as const;

const PROFILE_ID = /^00e[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$/;
const PERMISSION_SET_ID = /^0PS[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$/;
export const isSalesforceProfileId = (v: string): boolean => PROFILE_ID.test(v);

function entitlementValue(e: unknown): string | undefined {
  const v = getIgnoringCase(e, "value");
  return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
}

function entitlementType(e: unknown): string {
  const t = getIgnoringCase(e, "type");
  return typeof t === "string" ? t.toLowerCase().replace(/[\s_-]/g, "") : "";
}

/**
 * Salesforce's own SCIM API expresses the profile (and permission sets) as `entitlements`
 * ([{ value: "00e…" }], reference §2.5); IdPs that learned it send the same. A profile entitlement is
 * an 00e… id or one typed "profile"; permission sets are 0PS… ids or typed "permissionSet".
 */
export function salesforceEntitlements(user: unknown): { profile?: string; permissionSets: string[] } {
  const list = getIgnoringCase(user, "entitlements");
  if (!Array.isArray(list)) return { permissionSets: [] };
  const profiles = list.filter((e) => {
    const v = entitlementValue(e);
    return v !== undefined && (PROFILE_ID.test(v) || entitlementType(e) === "profile");
  });
  const permissionSets = list.flatMap((e) => {
    const v = entitlementValue(e);
    return v !== undefined && (PERMISSION_SET_ID.test(v) || entitlementType(e) === "permissionset")
      ? [v]
      : [];
  });
  const profile = profiles.length > 0 ? entitlementValue(primaryOrFirst(profiles)) : undefined;
  return profile === undefined ? { permissionSets } : { profile, permissionSets };
}

function toBoolean(v: unknown): unknown {
  if (typeof v !== "string") return v;
  const lower = v.trim().toLowerCase();
  return lower === "true" ? true : lower === "false" ? false : v;
}

/** The attributes mapSalesforceUser reads beside its mapping's expressions (lower-cased, for mappingUntouched). */
export const SALESFORCE_MAPPING_READS = ["entitlements", SALESFORCE_USER_URN.toLowerCase()] as const;

/**
 * The Salesforce User record for one SCIM user, plus derived keys the target applies separately:
 * `permissionSets`, `publicGroups` (names or ids) and `ProfileName` (a profile given by name, which
 * the target resolves to an Id; `ProfileId` is only ever an Id).
 * Precedence, lowest first: mapped field → group rules → SCIM entitlements → the Salesforce extension.
 */
export function mapSalesforceUser(spec: MappingSpec, input: MappingInput): MappedFields {
  const fields = evaluate(spec, input, SALESFORCE_RULE_KEYS);
  const granted = salesforceEntitlements(input.user);
  if (granted.profile !== undefined) fields.ProfileId = granted.profile;
  const extension = getIgnoringCase(input.user, SALESFORCE_USER_URN);
  for (const field of SALESFORCE_OVERRIDABLE_FIELDS) {
    const v = getIgnoringCase(extension, field);
    if (!isEmpty(v)) fields[field] = v;
  }
  const extraSets = getIgnoringCase(extension, "permissionSets");
  const addedSets = [...granted.permissionSets, ...(Array.isArray(extraSets) ? extraSets : [])];
  if (addedSets.length > 0) {
    const current = Array.isArray(fields.permissionSets) ? (fields.permissionSets as string[]) : [];
    fields.permissionSets = unionNames([...current], addedSets);
  }
  if ("IsActive" in fields) fields.IsActive = toBoolean(fields.IsActive);
  const profile = fields.ProfileId;
  if (typeof profile === "string" && !PROFILE_ID.test(profile.trim())) {
    fields.ProfileName = profile.trim();
    delete fields.ProfileId;
  }
  return fields;
}
