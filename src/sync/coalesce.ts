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
  /** A claim's lease ran out: a crashed worker's work, to take over at once. */
  leaseExpired?: boolean;
}

/**
 * How long to wait before claiming: "nothing" when there is nothing to claim (the worker idles without asking);
 * 0 (claim now) for a full batch, an expired lease, coalescing off, or an oldest job that already waited the window;
 * otherwise until the oldest job has waited `windowMs`.
 */
export function coalesceWait(
  due: DueWork,
  opts: { windowMs: number; batchSize: number },
): number | "nothing" {
  if (due.jobs === 0 && !due.leaseExpired) return "nothing";
  if (opts.windowMs <= 0 || due.leaseExpired || due.jobs >= opts.batchSize) return 0;
  return Math.max(0, Math.ceil(opts.windowMs - due.oldestDueMs));
}
