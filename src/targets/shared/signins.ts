// A target's sign-ins as they happen, for the bridge's shared sign-in history (sync/retry.ts decides with it whether
// a refused sign-in parks the work, and a successful one wakes the parked work at once).
import type { RetryPolicy } from "../kind.ts";

/** "ok": a session or token was obtained with the configured credentials; "refused": the target said no to them. */
export type SignInResult = "ok" | "refused";

export type SignInListener = (result: SignInResult) => void;

/** Where a target that signs in reports each sign-in; the dispatcher listens. */
export class SignIns {
  private readonly listeners = new Set<SignInListener>();
  private readonly retry: RetryPolicy;

  constructor(retry: RetryPolicy) {
    this.retry = retry;
  }

  /** Calls `listener` after each sign-in; returns the function that stops it. */
  on(listener: SignInListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  report(result: SignInResult): void {
    for (const l of this.listeners) l(result);
  }

  /**
   * Reports a failed sign-in as refused when the target answered it (an HTTP status that is not transient); no
   * answer, 408, 429 and 5xx say nothing about the credentials.
   */
  failed(status: number): void {
    if (!this.retry.transient(status)) this.report("refused");
  }
}
