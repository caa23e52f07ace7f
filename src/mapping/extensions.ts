// The per-user SCIM extensions that override a target's mapping, as data the SCIM layer declares.
// scimmy 1.3.5 only accepts schema ids under urn:ietf:params:scim:schemas: (reference/scimmy.md §3.4).
import SCIMMY from "scimmy";
import {
  SALESFORCE_EMAIL_ENCODINGS,
  SALESFORCE_LANGUAGES,
  SALESFORCE_LOCALES,
} from "../targets/salesforce/picklists.ts";
import { TABLEAU_AUTH_SETTINGS, TABLEAU_WRITABLE_SITE_ROLES } from "../targets/tableau/roles.ts";

export const SALESFORCE_USER_URN = "urn:ietf:params:scim:schemas:extension:salesforce:2.0:User";
/** The schema Tableau Cloud's own SCIM API lists for users (reference §1.6). */
export const TABLEAU_USER_URN = "urn:ietf:params:scim:schemas:extension:tableau:3.0:User";
/**
 * Tableau Cloud's documented request body carries the data under this key (without ":User"):
 * `"urn:ietf:params:scim:schemas:extension:tableau:3.0": { "siteRoles": [{ "value": "Viewer" }] }`.
 * The mapping reads both keys; the SCIM layer may rename this one to TABLEAU_USER_URN on the way in.
 */
export const TABLEAU_CLOUD_BODY_URN = "urn:ietf:params:scim:schemas:extension:tableau:3.0";

export type ExtensionAttribute = {
  name: string;
  type: "string" | "complex";
  description: string;
  multiValued?: boolean;
  canonicalValues?: readonly string[];
  subAttributes?: readonly ExtensionAttribute[];
};

export type ExtensionSchema = {
  /** Friendly schema name, unique among declared scimmy schemas. */
  name: string;
  id: string;
  description: string;
  attributes: readonly ExtensionAttribute[];
};

const valueOnly = (what: string): ExtensionAttribute[] => [
  { name: "value", type: "string", description: what },
];

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

export const tableauUserExtension: ExtensionSchema = {
  name: "TableauUser",
  id: TABLEAU_USER_URN,
  description: "Tableau site user settings that override the bridge's mapping for this user",
  attributes: [
    {
      name: "siteRole",
      type: "string",
      description: "Tableau site role for this user",
      canonicalValues: TABLEAU_WRITABLE_SITE_ROLES,
    },
    {
      name: "authSetting",
      type: "string",
      description: "How the user signs in to Tableau",
      canonicalValues: TABLEAU_AUTH_SETTINGS,
    },
    // The shapes Tableau Cloud's own SCIM API documents, so payloads written for it also work here.
    {
      name: "siteRoles",
      type: "complex",
      multiValued: true,
      description: "Tableau Cloud SCIM form of the site role: [{ value: <site role> }]",
      subAttributes: valueOnly("Tableau site role"),
    },
    {
      name: "entitlements",
      type: "complex",
      multiValued: true,
      description: "Tableau Cloud SCIM form of the site role: [{ value: <site role> }]",
      subAttributes: valueOnly("Tableau site role"),
    },
  ],
};

export const USER_EXTENSIONS: readonly ExtensionSchema[] = [salesforceUserExtension, tableauUserExtension];

function toAttribute(a: ExtensionAttribute, withCanonicalValues: boolean): SCIMMY.Types.Attribute {
  const config: SCIMMY.Types.Attribute.AttributeConfig = {
    required: false,
    multiValued: a.multiValued ?? false,
    description: a.description,
  };
  if (withCanonicalValues && a.canonicalValues) config.canonicalValues = [...a.canonicalValues];
  const subs = a.subAttributes?.map((s) => toAttribute(s, withCanonicalValues));
  return new SCIMMY.Types.Attribute(a.type, a.name, config, subs);
}

/**
 * A scimmy SchemaDefinition for an extension (not declared anywhere). canonicalValues are left out
 * by default because scimmy enforces them with a terse message, whereas pre-flight validation says
 * which field is wrong and how to fix it ("en-US" → did you mean "en_US"?).
 */
export function toScimmySchemaDefinition(
  ext: ExtensionSchema,
  options: { canonicalValues?: boolean } = {},
): SCIMMY.Types.SchemaDefinition {
  const attributes = ext.attributes.map((a) => toAttribute(a, options.canonicalValues ?? false));
  return new SCIMMY.Types.SchemaDefinition(ext.name, ext.id, ext.description, attributes);
}
