// The codes Tableau delivery invents (Tableau's own numeric codes are kept as VendorCodes).

export const TABLEAU_CODES = [
  /** A SCIM group named like Tableau's built-in All Users group, which cannot be managed. */
  "ALL_USERS_RESERVED",
  /** policies.mapAssetsTo names no user of the site: the user is left Unlicensed instead of removed. */
  "MAP_ASSETS_TO_NOT_FOUND",
  /** A CSV import job did not add this user (the job's note for the row, when it has one, is the message). */
  "TABLEAU_IMPORT_ROW",
  /** Pre-flight: the mapped siteRole is not one the REST API can assign. */
  "INVALID_SITE_ROLE",
  /** Pre-flight: the mapped authSetting is not one of Tableau's. */
  "INVALID_AUTH_SETTING",
] as const;

export type TableauCode = (typeof TABLEAU_CODES)[number];

declare module "../codes.ts" {
  interface InventedCodes {
    tableau: TableauCode;
  }
}
