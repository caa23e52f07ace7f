// How Tableau treats user fields, for the generic diff (mapping/diff.ts).
import type { FieldSemantics } from "../../mapping/index.ts";

export const TABLEAU_FIELDS: FieldSemantics = {
  // Tableau matches user names and emails without regard to case.
  caseInsensitive: new Set(["name", "email"]),
  // A site user always has a name, a role and an authentication setting.
  notClearable: new Set(["name", "siteRole", "authSetting"]),
};
