// Shared shape and wording of pre-flight problems: each names the target field, what is wrong,
// and where the value comes from so an admin knows what to change.

import type { MappedFields } from "./evaluate.ts";
import { exprSources, isEmpty } from "./expr.ts";
import type { MappingSpec } from "./spec.ts";

export type Problem<Code extends string = string> = {
  /** Target field name, e.g. "Alias" or "siteRole". */
  field: string;
  /**
   * Stable code, registered in errors.ts (these three) or in the kind's codes.ts; the target's own error code where
   * it has one (REQUIRED_FIELD_MISSING, STRING_TOO_LONG…).
   */
  code: Code;
  detail: string;
};

export type ValidateOptions = {
  /** The target's effective mapping, to name the SCIM source of each field. Defaults to the built-in one. */
  mapping?: MappingSpec;
};

const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
export const looksLikeEmail = (v: string): boolean => EMAIL.test(v);

export const charCount = (s: string): number => Array.from(s).length;

export const show = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : String(v));

export type FieldContext = {
  /** "Salesforce" or "Tableau", as it appears in messages. */
  targetLabel: string;
  /** URN of the extension that can override this field per user, if any. */
  extensionUrn?: string;
  mapping: MappingSpec;
};

/** "set urn:…:Alias, or change name.givenName / name.familyName / userName" */
export function howToFix(field: string, ctx: FieldContext, change = "change"): string {
  const ways: string[] = [];
  if (ctx.extensionUrn) ways.push(`set ${ctx.extensionUrn}:${field}`);
  const sources = [...new Set(exprSources(ctx.mapping.fields[field]))];
  ways.push(
    sources.length > 0
      ? `${change} the SCIM attribute it is mapped from (${sources.join(" / ")})`
      : `map fields.${field} in the target's mapping`,
  );
  return ways.join(", or ");
}

export function requiredProblem(field: string, ctx: FieldContext): Problem<"REQUIRED_FIELD_MISSING"> {
  return {
    field,
    code: "REQUIRED_FIELD_MISSING",
    detail: `${ctx.targetLabel} field ${field} is required but is empty after mapping; ${howToFix(field, ctx, "supply")}`,
  };
}

export function lengthProblem(
  field: string,
  value: unknown,
  max: number,
  ctx: FieldContext,
): Problem<"STRING_TOO_LONG"> | undefined {
  if (isEmpty(value)) return undefined;
  const text = String(value);
  const n = charCount(text);
  if (n <= max) return undefined;
  return {
    field,
    code: "STRING_TOO_LONG",
    detail: `${ctx.targetLabel} field ${field} is ${show(text)} (${n} characters) — at most ${max} allowed; ${howToFix(field, ctx, "shorten")}`,
  };
}

export function emailProblem(
  field: string,
  fields: MappedFields,
  ctx: FieldContext,
): Problem<"INVALID_EMAIL_ADDRESS"> | undefined {
  const value = fields[field];
  if (isEmpty(value) || (typeof value === "string" && looksLikeEmail(value))) return undefined;
  return {
    field,
    code: "INVALID_EMAIL_ADDRESS",
    detail: `${ctx.targetLabel} field ${field} is ${show(value)} — not a valid email address (name@example.com); ${howToFix(field, ctx, "correct")}`,
  };
}
