// The Salesforce SCIM user extension: per-user User fields that override the target's mapping.
import type { ExtensionSchema } from "../../mapping/index.ts";
import { SALESFORCE_EMAIL_ENCODINGS, SALESFORCE_LANGUAGES, SALESFORCE_LOCALES } from "./picklists.ts";

export const SALESFORCE_USER_URN = "urn:ietf:params:scim:schemas:extension:salesforce:2.0:User";
export const salesforceUserExtension: ExtensionSchema = {
  name: "SalesforceUser",
  id: SALESFORCE_USER_URN,
  description: "Salesforce User fields that override the bridge's mapping for this user",
  attributes: [
    {
      name: "ProfileId",
      type: "string",
      description: 'Salesforce profile: a Profile Id (00e…) or a profile name such as "Standard User"',
    },
    { name: "Alias", type: "string", description: "Salesforce Alias, at most 8 characters" },
    {
      name: "TimeZoneSidKey",
      type: "string",
      description: 'IANA time zone such as "America/Los_Angeles", or "GMT"',
    },
    {
      name: "LocaleSidKey",
      type: "string",
      description: 'Salesforce locale such as "en_US"',
      canonicalValues: SALESFORCE_LOCALES,
    },
    {
      name: "EmailEncodingKey",
      type: "string",
      description: 'Salesforce email encoding such as "UTF-8"',
      canonicalValues: SALESFORCE_EMAIL_ENCODINGS,
    },
    {
      name: "LanguageLocaleKey",
      type: "string",
      description: 'Salesforce user interface language such as "en_US"',
      canonicalValues: SALESFORCE_LANGUAGES,
    },
    {
      name: "FederationIdentifier",
      type: "string",
      description: "SAML Federation ID used for single sign-on",
    },
    { name: "CommunityNickname", type: "string", description: "Salesforce nickname, at most 40 characters" },
    {
      name: "permissionSets",
      type: "string",
      multiValued: true,
      description: "Permission set API names or Ids to assign, in addition to those from group rules",
    },
  ],
};
