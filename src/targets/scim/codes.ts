// The codes SCIM peer delivery invents (a peer's scimType, or HTTP_<status> without one, is a VendorCode).

export const SCIM_PEER_CODES = [
  /** The peer answered 2xx without the resource (no id): not its refusal, so retried. */
  "SCIM_BAD_ANSWER",
] as const;

export type ScimPeerCode = (typeof SCIM_PEER_CODES)[number];

declare module "../codes.ts" {
  interface InventedCodes {
    scim: ScimPeerCode;
  }
}
