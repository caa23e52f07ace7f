// Shared by the kinds' import conversions: a SCIM User body from the parts an account has. The name is
// split from a full name when the target keeps only that; the family name falls back to the user name's
// local part because Salesforce (a likely next target) requires a last name.
import type { TargetAccount } from "./target.ts";

export const CORE_USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User";
export const ENTERPRISE_USER_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

export const text = (v: unknown): string | undefined =>
  typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;

export interface AccountParts {
  email?: string | undefined;
  fullName?: string | undefined;
  givenName?: string | undefined;
  familyName?: string | undefined;
  title?: string | undefined;
  externalId?: string | undefined;
  department?: string | undefined;
}

export function scimUserFromParts(a: TargetAccount, p: AccountParts): Record<string, unknown> {
  const email = text(p.email) ?? (a.key.includes("@") ? a.key : undefined);
  const full = text(p.fullName) ?? text([p.givenName, p.familyName].filter(text).join(" "));
  const words = full?.split(/\s+/) ?? [];
  const givenName = text(p.givenName) ?? (words.length > 1 ? words.slice(0, -1).join(" ") : undefined);
  const familyName = text(p.familyName) ?? words.at(-1) ?? a.key.split("@")[0] ?? a.key;
  const schemas = [CORE_USER_URN];
  const data: Record<string, unknown> = {
    userName: a.key,
    active: a.active,
    name: { ...(givenName ? { givenName } : {}), familyName, ...(full ? { formatted: full } : {}) },
    ...(full ? { displayName: full } : {}),
    ...(email ? { emails: [{ value: email, type: "work", primary: true }] } : {}),
    ...(text(p.title) ? { title: text(p.title) } : {}),
  };
  if (text(p.externalId)) data.externalId = text(p.externalId);
  if (text(p.department)) {
    schemas.push(ENTERPRISE_USER_URN);
    data[ENTERPRISE_USER_URN] = { department: text(p.department) };
  }
  return { schemas, ...data };
}
