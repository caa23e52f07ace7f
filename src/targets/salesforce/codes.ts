// The codes Salesforce delivery invents (Salesforce's own codes are kept as VendorCodes). Some borrow the name of
// the Salesforce code they foresee, said by the bridge before Salesforce would.

export const SALESFORCE_CODES = [
  /** The mapping names a profile the org does not have. */
  "PROFILE_NOT_FOUND",
  /** Several unlinked Salesforce users match the correlation key: nothing is linked, an admin picks one. */
  "AMBIGUOUS_MATCH",
  /** The bridge's own count of the org's API allocation says it is used up: work is parked, not sent. */
  "REQUEST_LIMIT_EXCEEDED",
  /** Pre-flight: a picklist field holds a value the org's picklist does not allow. */
  "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
  /** Pre-flight: Username does not look like an email address. */
  "INVALID_USERNAME",
] as const;

export type SalesforceCode = (typeof SALESFORCE_CODES)[number];

declare module "../codes.ts" {
  interface InventedCodes {
    salesforce: SalesforceCode;
  }
}
