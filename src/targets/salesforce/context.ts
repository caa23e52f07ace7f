// What the user, group and permission code share within one target: the client, the mapping,
// name → Id lookups, and turning Salesforce errors into per-operation outcomes.
import type { MappingSpec } from "../../mapping/index.ts";
import type { RetryPolicy } from "../kind.ts";
import type { Outcome } from "../target.ts";
import type { SalesforceClient, SaveResult } from "./client.ts";
import type { SalesforceTargetConfig } from "./config.ts";
import { BudgetExhaustedError, classifySalesforceError, type SalesforceErrorLike } from "./errors.ts";
import type { NameLookup } from "./lookups.ts";

export interface TargetLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
}

export interface SalesforceContext {
  config: SalesforceTargetConfig;
  client: SalesforceClient;
  retry: RetryPolicy;
  mapping: MappingSpec;
  profiles: NameLookup;
  permissionSets: NameLookup;
  publicGroups: NameLookup;
  /** SCIM user id → linked Salesforce user id in this target (for ManagerId). */
  resolveLink?: (scimId: string) => Promise<string | undefined>;
  logger?: TargetLogger;
  now: () => number;
}

/** An outcome other than done. */
export type Failure = Exclude<Outcome, { status: "done" }>;

/** The outcome for an operation whose call threw, or whose record was refused. */
export function errorOutcome(ctx: SalesforceContext, error: unknown): Failure {
  if (error instanceof BudgetExhaustedError) {
    return {
      status: "retry",
      code: error.errorCode,
      message: error.message,
      delayMs: Math.max(1000, error.notBefore - ctx.now()),
      blocked: "budget",
    };
  }
  const decision = classifySalesforceError(asErrorLike(error), {
    parkMs: ctx.config.budget.parkMs,
    retry: ctx.retry,
  });
  if (!decision.retry) return { status: "failed", code: decision.code, message: decision.message };
  const delayMs =
    decision.blocked === "budget"
      ? Math.max(1000, (ctx.client.parkedUntilTime() ?? ctx.now()) - ctx.now())
      : decision.delayMs;
  return {
    status: "retry",
    code: decision.code,
    message: decision.message,
    ...(delayMs !== undefined ? { delayMs } : {}),
    ...(decision.blocked ? { blocked: decision.blocked } : {}),
  };
}

function asErrorLike(error: unknown): SalesforceErrorLike {
  if (error && typeof error === "object") return error as SalesforceErrorLike;
  return { message: String(error) };
}

/** undefined when the record was saved; otherwise the outcome its error calls for. */
export function saveOutcome(ctx: SalesforceContext, result: SaveResult | undefined): Failure | undefined {
  if (!result)
    return {
      status: "retry",
      code: "TARGET_NO_RESULT",
      message: "Salesforce returned no result for this record",
    };
  if (result.success) return undefined;
  if (result.thrown !== undefined) return errorOutcome(ctx, result.thrown);
  const first = result.errors[0];
  if (!first)
    return {
      status: "retry",
      code: "TARGET_ERROR",
      message: "Salesforce refused the record without a reason",
    };
  const fields = first.fields?.length ? ` (fields: ${first.fields.join(", ")})` : "";
  return errorOutcome(ctx, { statusCode: first.statusCode, message: `${first.message}${fields}` });
}

/** True when every error of a refused record is one of `codes` (e.g. DUPLICATE_VALUE = already there). */
export function onlyErrors(result: SaveResult | undefined, codes: readonly string[]): boolean {
  return (
    !!result &&
    !result.success &&
    result.thrown === undefined &&
    result.errors.length > 0 &&
    result.errors.every((e) => codes.includes(e.statusCode))
  );
}
