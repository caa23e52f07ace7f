// A target account as a SCIM User body: userName from the account's key, name and emails from its fields,
// active from the account. What the source knows that a mapping would otherwise default (a Tableau site role)
// travels in the target's SCIM extension, so provisioning the imported user back changes nothing there.
import { TABLEAU_USER_URN, TABLEAU_WRITABLE_SITE_ROLES } from "../../mapping/index.ts";
import { scimUserFromPeer } from "../../targets/scim/import.ts";
import type { TargetAccount } from "../../targets/target.ts";

const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

const str = (v: unknown): string | undefined =>
  typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;

/** The attributes import owns on a user; the rest of a stored body (from an IdP, say) is left alone. */
export const IMPORTED_ATTRIBUTES = ["userName", "name", "displayName", "emails", "active", "title"] as const;

export function scimUserFromAccount(kind: string, a: TargetAccount): Record<string, unknown> {
  if (kind === "scim") return scimUserFromPeer(a);
  const f = a.fields;
  if (kind === "test" && str(f.userName)) {
    const { groups: _groups, ...data } = f;
    return { ...data, userName: a.key, active: a.active };
  }
  const email = str(f.email) ?? str(f.Email) ?? (a.key.includes("@") ? a.key : undefined);
  const full = str(f.fullName) ?? str(f.displayName) ?? str([f.FirstName, f.LastName].filter(str).join(" "));
  const words = full?.split(/\s+/) ?? [];
  const givenName = str(f.FirstName) ?? (words.length > 1 ? words.slice(0, -1).join(" ") : undefined);
  // Salesforce requires a last name; the local part of the user name is the last resort.
  const familyName = str(f.LastName) ?? words.at(-1) ?? a.key.split("@")[0] ?? a.key;
  const schemas = [CORE];
  const data: Record<string, unknown> = {
    userName: a.key,
    active: a.active,
    name: { ...(givenName ? { givenName } : {}), familyName, ...(full ? { formatted: full } : {}) },
    ...(full ? { displayName: full } : {}),
    ...(email ? { emails: [{ value: email, type: "work", primary: true }] } : {}),
    ...(str(f.Title) ? { title: str(f.Title) } : {}),
  };
  if (str(f.FederationIdentifier)) data.externalId = str(f.FederationIdentifier);
  if (str(f.Department)) {
    schemas.push(ENTERPRISE);
    data[ENTERPRISE] = { department: str(f.Department) };
  }
  const role = str(f.siteRole);
  if (
    kind === "tableau" &&
    role &&
    role !== "Unlicensed" &&
    (TABLEAU_WRITABLE_SITE_ROLES as readonly string[]).includes(role)
  ) {
    schemas.push(TABLEAU_USER_URN);
    data[TABLEAU_USER_URN] = { siteRole: role };
  }
  return { schemas, ...data };
}
