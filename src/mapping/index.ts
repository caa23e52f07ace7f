// mapping/: declarative SCIM User → target fields. Pure functions, no I/O.
//
//   MappingSpec (zod), type MappingSpecInput, mergeMapping      — the config's `mapping:` of one target
//   evaluate(spec, input)                                       — fields + group rules, target-agnostic
//   defaultSalesforceMapping, mapSalesforceUser(spec, input)    — + entitlements and Salesforce extension
//   defaultTableauMapping, mapTableauUser(spec, input)          — + Tableau extension
//   validateSalesforceUser(fields), validateTableauUser(fields) — pre-flight → Problem[]
//   diffFields(desired, actual, semantics)                      — changed field names (semantics from the kind)
//   highestSiteRole, TABLEAU_WRITABLE_SITE_ROLES, TABLEAU_AUTH_SETTINGS
//   extension URNs, salesforceUserExtension, tableauUserExtension, toScimmySchemaDefinition
export { diffFields, type FieldSemantics } from "./diff.ts";
export { evaluate, type MappedFields, type MappingInput, type ScimUser } from "./evaluate.ts";
export type { Expr } from "./expr.ts";
export {
  type ExtensionAttribute,
  type ExtensionSchema,
  SALESFORCE_USER_URN,
  salesforceUserExtension,
  TABLEAU_CLOUD_BODY_URN,
  TABLEAU_USER_URN,
  tableauUserExtension,
  toScimmySchemaDefinition,
  USER_EXTENSIONS,
} from "./extensions.ts";
export type { Problem, ValidateOptions } from "./problems.ts";
export { defaultSalesforceMapping, isSalesforceProfileId, mapSalesforceUser } from "./salesforce.ts";
export { validateSalesforceUser } from "./salesforce-validate.ts";
export { type GroupRule, MappingSpec, type MappingSpecInput, mergeMapping } from "./spec.ts";
export { defaultTableauMapping, mapTableauUser, validateTableauUser } from "./tableau.ts";
export {
  highestSiteRole,
  TABLEAU_AUTH_SETTINGS,
  TABLEAU_WRITABLE_SITE_ROLES,
  type TableauAuthSetting,
  type TableauSiteRole,
} from "./tableau-roles.ts";
