// The Tableau SCIM user extension: per-user site settings that override the target's mapping.
import type { ExtensionAttribute, ExtensionSchema } from "../../mapping/index.ts";
import { TABLEAU_AUTH_SETTINGS, TABLEAU_WRITABLE_SITE_ROLES } from "./roles.ts";

/** The schema Tableau Cloud's own SCIM API lists for users (reference §1.6). */
export const TABLEAU_USER_URN = "urn:ietf:params:scim:schemas:extension:tableau:3.0:User";
/**
 * Tableau Cloud's documented request body carries the data under this key (without ":User"):
 * `"urn:ietf:params:scim:schemas:extension:tableau:3.0": { "siteRoles": [{ "value": "Viewer" }] }`.
 * The mapping reads both keys; the SCIM layer renames this one to TABLEAU_USER_URN on the way in (an alias).
 */
export const TABLEAU_CLOUD_BODY_URN = "urn:ietf:params:scim:schemas:extension:tableau:3.0";

const valueOnly = (what: string): ExtensionAttribute[] => [
  { name: "value", type: "string", description: what },
];

export const tableauUserExtension: ExtensionSchema = {
  name: "TableauUser",
  id: TABLEAU_USER_URN,
  description: "Tableau site user settings that override the bridge's mapping for this user",
  aliases: [TABLEAU_CLOUD_BODY_URN],
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
