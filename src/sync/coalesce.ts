// Updates arriving one by one (an IdP's PATCHes, ~100 a second) would each go out in a batch of their own, costing a
// call apiece where a target takes 200 records per call (Salesforce collections). So a worker about to claim a
// partial batch lets it fill for a short moment, bounded per job: no job waits more than `windowMs` past the time
// it became due, a deprovision included. A pure decision, with its table in test/sync/coalesce-unit.test.ts.

/** The due work of a target as a worker about to claim sees it. */
export interface DueWork {
  /** Due pending jobs, counted up to the batch size. */
  jobs: number;
  /** How long ago the longest-waiting of them became due. */
  oldestDueMs: number;
}

/**
 * How long to wait before claiming (0: claim now): nothing due, a full batch, coalescing off, or the oldest job
 * already waited the window → now; otherwise until the oldest job has waited `windowMs`.
 */
export function coalesceWait(due: DueWork, opts: { windowMs: number; batchSize: number }): number {
  if (opts.windowMs <= 0 || due.jobs === 0 || due.jobs >= opts.batchSize) return 0;
  return Math.max(0, Math.ceil(opts.windowMs - due.oldestDueMs));
}
