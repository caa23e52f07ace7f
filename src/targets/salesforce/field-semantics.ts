// How Salesforce treats User fields, for the generic diff (mapping/diff.ts).
import type { FieldSemantics } from "../../mapping/index.ts";

export const SALESFORCE_FIELDS: FieldSemantics = {
  // Salesforce stores Username and Email lower-cased.
  caseInsensitive: new Set(["Username", "Email"]),
  // Required, or generated when absent (CommunityNickname): a mapping that finds nothing leaves them alone.
  notClearable: new Set([
    "Username",
    "LastName",
    "Email",
    "Alias",
    "TimeZoneSidKey",
    "LocaleSidKey",
    "EmailEncodingKey",
    "LanguageLocaleKey",
    "ProfileId",
    "ProfileName",
    "CommunityNickname",
    "IsActive",
  ]),
};
