// What a delivery outcome's `code` may be: a code of the bridge's registry (DELIVERY_ERRORS in errors.ts), a code a
// target kind invents (listed in the kind's own codes.ts), or a code the target itself sent, kept as it came. A
// literal that is none of these does not type-check, and test/sync/delivery-codes.test.ts finds any that slips by.
import type { DeliveryCode } from "../errors.ts";

declare const sentByTarget: unique symbol;

/**
 * A code the target sent: Salesforce's DUPLICATE_USERNAME, Tableau's 409017, a SCIM peer's scimType, HTTP_503
 * for an answer without a code of its own. Made only by `vendorCode`, so an invented code cannot pass for one.
 */
export type VendorCode = string & { readonly [sentByTarget]: true };

/** The code as the target sent it (or its HTTP status as HTTP_<status> when it sent none). */
export const vendorCode = (code: string): VendorCode => code as VendorCode;

/**
 * The codes the bridge invents, one entry per source. Each kind adds its own entry from its codes.ts
 * (`declare module "../codes.ts" { interface InventedCodes { tableau: TableauCode } }`), so this contract lists
 * no kind.
 */
export interface InventedCodes {
  bridge: DeliveryCode;
}

/** A code the bridge invents: the registry's or a kind's. Pre-flight problems carry one. */
export type BridgeCode = InventedCodes[keyof InventedCodes];

/** What `Outcome.code` accepts. */
export type OutcomeCode = BridgeCode | VendorCode;
