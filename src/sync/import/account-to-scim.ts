// A target account as a SCIM User body, by the target's kind (each kind knows its accounts' fields: see
// TargetKind.scimUserFromAccount). What the source knows that a mapping would otherwise default (a Tableau site
// role) travels in the target's SCIM extension, so provisioning the imported user back changes nothing there.
import { scimUserFromParts } from "../../targets/account-to-scim.ts";
import { targetKind } from "../../targets/registry.ts";
import type { TargetAccount } from "../../targets/target.ts";

/** The attributes import owns on a user; the rest of a stored body (from an IdP, say) is left alone. */
export const IMPORTED_ATTRIBUTES = ["userName", "name", "displayName", "emails", "active", "title"] as const;

export function scimUserFromAccount(kind: string, a: TargetAccount): Record<string, unknown> {
  const own = targetKind(kind)?.scimUserFromAccount;
  return own ? own(a) : scimUserFromParts(a, {});
}
