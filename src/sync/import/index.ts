// sync/import: bring a target's accounts into the store (the Tableau → Salesforce sync when Tableau is the source).
export { scimUserFromAccount } from "./account-to-scim.ts";
export { importFrom, mergeImported } from "./import.ts";
export type { ImportItem, ImportOptions, ImportReport, ImportResult } from "./types.ts";
