// Pre-flight for Salesforce: what the User insert would certainly reject (reference §2.4).
import {
  emailProblem,
  type FieldContext,
  howToFix,
  isEmpty,
  lengthProblem,
  looksLikeEmail,
  type MappedFields,
  requiredProblem,
  show,
  type ValidateOptions,
} from "../../mapping/index.ts";
import type { Problem } from "../target.ts";
import { SALESFORCE_USER_URN } from "./extension.ts";
import { defaultSalesforceMapping, SALESFORCE_OVERRIDABLE_FIELDS } from "./mapping.ts";
import {
  closestPicklistValue,
  isSalesforceTimeZone,
  SALESFORCE_EMAIL_ENCODINGS,
  SALESFORCE_LANGUAGES,
  SALESFORCE_LOCALES,
} from "./picklists.ts";

/** The User fields an insert must carry (reference §2.4); also never cleared by a diff (targets/salesforce/field-semantics.ts). */
export const SALESFORCE_REQUIRED_USER_FIELDS = [
  "Username",
  "LastName",
  "Email",
  "Alias",
  "TimeZoneSidKey",
  "LocaleSidKey",
  "EmailEncodingKey",
  "LanguageLocaleKey",
] as const;

// Salesforce UI-API field lengths (reference §2.4).
const MAX_LENGTH: Record<string, number> = {
  Username: 80,
  Email: 128,
  Alias: 8,
  CommunityNickname: 40,
  FirstName: 40,
  LastName: 80,
  FederationIdentifier: 512,
  Title: 80,
  Department: 80,
  Division: 80,
  CompanyName: 80,
  EmployeeNumber: 20,
  Phone: 40,
  MobilePhone: 40,
  Fax: 40,
  Extension: 40,
  City: 40,
  Country: 80,
  PostalCode: 20,
  AboutMe: 1000,
};

const PICKLISTS: Record<string, { allowed: readonly string[]; what: string }> = {
  LocaleSidKey: { allowed: SALESFORCE_LOCALES, what: 'a Salesforce locale (like "en_US")' },
  LanguageLocaleKey: { allowed: SALESFORCE_LANGUAGES, what: 'a Salesforce language (like "en_US" or "de")' },
  EmailEncodingKey: {
    allowed: SALESFORCE_EMAIL_ENCODINGS,
    what: 'a Salesforce email encoding (like "UTF-8")',
  },
};

function contextFor(field: string, options: ValidateOptions): FieldContext {
  const overridable = (SALESFORCE_OVERRIDABLE_FIELDS as readonly string[]).includes(field);
  return {
    targetLabel: "Salesforce",
    mapping: options.mapping ?? defaultSalesforceMapping,
    ...(overridable ? { extensionUrn: SALESFORCE_USER_URN } : {}),
  };
}

function picklistProblem(field: string, value: unknown, ctx: FieldContext): Problem | undefined {
  if (isEmpty(value)) return undefined;
  const text = String(value);
  if (field === "TimeZoneSidKey") {
    if (isSalesforceTimeZone(text)) return undefined;
    return {
      field,
      code: "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
      detail: `Salesforce field TimeZoneSidKey is ${show(text)} — not an IANA time zone (like "America/New_York") or "GMT"; ${howToFix(field, ctx, "correct")}`,
    };
  }
  const list = PICKLISTS[field];
  if (!list || list.allowed.includes(text)) return undefined;
  const guess = closestPicklistValue(text, list.allowed);
  return {
    field,
    code: "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
    detail: `Salesforce field ${field} is ${show(text)} — not ${list.what}${guess ? `; did you mean "${guess}"?` : ""}; ${howToFix(field, ctx, "correct")}`,
  };
}

/** Every reason Salesforce would refuse to create this User, most fundamental first. */
export function validateSalesforceUser(fields: MappedFields, options: ValidateOptions = {}): Problem[] {
  const problems: Problem[] = [];
  const push = (p: Problem | undefined) => {
    if (p) problems.push(p);
  };
  for (const field of SALESFORCE_REQUIRED_USER_FIELDS) {
    if (isEmpty(fields[field])) push(requiredProblem(field, contextFor(field, options)));
  }
  if (isEmpty(fields.ProfileId) && isEmpty(fields.ProfileName)) {
    push({
      field: "ProfileId",
      code: "REQUIRED_FIELD_MISSING",
      detail: `Salesforce field ProfileId is required but no profile applies to this user; set ${SALESFORCE_USER_URN}:ProfileId, send an entitlement with the profile Id (00e…), add a groupRules entry that sets ProfileId for one of the user's groups, or map fields.ProfileId (for example { const: "Standard User" })`,
    });
  }
  const username = fields.Username;
  if (!isEmpty(username) && !(typeof username === "string" && looksLikeEmail(username))) {
    push({
      field: "Username",
      code: "INVALID_USERNAME",
      detail: `Salesforce field Username is ${show(username)} — it must look like an email address (name@example.com) and be unique across all Salesforce orgs; ${howToFix("Username", contextFor("Username", options), "correct")}`,
    });
  }
  push(emailProblem("Email", fields, contextFor("Email", options)));
  for (const [field, max] of Object.entries(MAX_LENGTH)) {
    push(lengthProblem(field, fields[field], max, contextFor(field, options)));
  }
  for (const field of ["TimeZoneSidKey", "LocaleSidKey", "EmailEncodingKey", "LanguageLocaleKey"]) {
    push(picklistProblem(field, fields[field], contextFor(field, options)));
  }
  return problems;
}
