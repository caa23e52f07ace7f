// What the resource modules share: the client, the target's settings and its effective mapping.
import type { MappingSpec } from "../../mapping/index.ts";
import { vendorCode } from "../codes.ts";
import type { Outcome } from "../target.ts";
import { TableauError } from "./client/errors.ts";
import type { TableauClient, TableauLogger } from "./client/request.ts";
import { classifyTableauError } from "./client/retry.ts";
import type { TableauTargetConfig } from "./config.ts";
import type { JobPolling } from "./jobs.ts";

export interface TableauContext {
  client: TableauClient;
  config: TableauTargetConfig;
  mapping: MappingSpec;
  log?: TableauLogger;
  /** How CSV import/delete jobs are polled; tests shorten it. */
  jobPolling?: JobPolling;
  sleep?: (ms: number) => Promise<void>;
}

/** Tableau's own words for a failure: the detail, else the summary. */
export function describeError(e: TableauError): string {
  return e.detail ? `${e.summary ? `${e.summary}: ` : ""}${e.detail}` : e.summary || e.message;
}

/** The outcome of an operation that threw. Anything that is not Tableau's answer is retried. */
export function outcomeOfError(ctx: Pick<TableauContext, "client">, e: unknown): Outcome {
  const retry = ctx.client.retry;
  if (e instanceof TableauError) {
    const outcome = classifyTableauError(retry, e.status, e.code, e.headers, describeError(e));
    // A refused sign-in (bad PAT, wrong connected-app secret, unknown site): parked, target unhealthy.
    if (e.phase === "signin" && outcome.status === "failed")
      return retry.credentialsRejected(e.code, `sign-in refused: ${describeError(e)}`);
    if (e.phase === "session-lost")
      return {
        status: "retry",
        code: "TARGET_SESSION_LOST",
        message: `the session ended again right after a fresh sign-in (${e.code}); is another process signing in with the same PAT?`,
        blocked: "session",
      };
    return outcome;
  }
  return { status: "retry", code: "TARGET_ERROR", message: (e as Error)?.message ?? String(e) };
}

/** A permanent failure carrying Tableau's code, for "already there" codes that mean a real conflict here. */
export function conflict(e: TableauError, why: string): Outcome {
  return { status: "failed", code: vendorCode(e.code), message: `${why}: ${describeError(e)}` };
}

export { mapLimited } from "../shared/limiter.ts";
