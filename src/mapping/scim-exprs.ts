// Expressions over SCIM attributes that more than one default mapping uses.
import type { Expr } from "./expr.ts";

export const userNameLocalPart: Expr = { replace: { of: "userName", pattern: "@.*$", with: "" } };

// userName, blanked unless it is email-shaped (Entra's userPrincipalName usually is).
const userNameIfEmail: Expr = {
  replace: { of: "userName", pattern: "^(?![^@\\s]+@[^@\\s.]+(\\.[^@\\s.]+)+$).*$", with: "" },
};

/** Primary email, else the work email, else any email, else userName when it looks like one. */
export const scimEmailExpr: Expr = {
  firstOf: ["emails[primary eq true].value", 'emails[type eq "work"].value', "emails.value", userNameIfEmail],
};
