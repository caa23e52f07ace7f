// How Salesforce treats User fields, for the generic diff (mapping/diff.ts).
import type { FieldSemantics } from "../../mapping/index.ts";
import { SALESFORCE_REQUIRED_USER_FIELDS } from "./validate.ts";

export const SALESFORCE_FIELDS: FieldSemantics = {
  // Salesforce stores Username and Email lower-cased.
  caseInsensitive: new Set(["Username", "Email"]),
  // Required, or generated when absent (CommunityNickname): a mapping that finds nothing leaves them alone.
  notClearable: new Set([
    ...SALESFORCE_REQUIRED_USER_FIELDS,
    "ProfileId",
    "ProfileName",
    "CommunityNickname",
    "IsActive",
  ]),
};
