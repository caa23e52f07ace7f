// Updates arriving one by one (an IdP's PATCHes, ~100 a second) would each go out in a batch of their own, costing a
// call apiece where a target takes 200 records per call (Salesforce collections). So a worker about to claim a
// partial batch lets it fill for a short moment, bounded per job: no job waits more than `windowMs` past the time
// it became due, a deprovision included. The decision is a pure function, with its table in
// test/sync/coalesce-unit.test.ts; BatchFill is the wait around it.
import { EventEmitter } from "node:events";

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

/**
 * The wait before a claim, per target, in one process: one worker lets a partial batch fill and claims it; the others
 * wait for that claim and then look again (several claiming together would each take a straggler that arrived just
 * after the first claim). No wait while a client waits for a delivery to the target.
 */
export class BatchFill {
  private readonly filling = new Map<string, Promise<void>>();
  private readonly hurried = new EventEmitter();
  private readonly windowMs: number;
  private readonly due: (target: string, limit: number) => Promise<DueWork>;
  private readonly state: { running(): boolean; waitedFor(target: string): boolean };

  constructor(
    windowMs: number,
    due: (target: string, limit: number) => Promise<DueWork>,
    state: { running(): boolean; waitedFor(target: string): boolean },
  ) {
    this.windowMs = windowMs;
    this.due = due;
    this.state = state;
    this.hurried.setMaxListeners(0);
  }

  /** Ends the waits for `target` (`*`: every target): a client now waits for a delivery there, or the stop. */
  hurry(target: string) {
    this.hurried.emit("hurry", target);
  }

  /**
   * Resolves to the function to call once this worker has claimed, or to undefined when it should not claim:
   * nothing is due (the question replaces the claim query of an idle worker), or the dispatcher stopped.
   */
  async beforeClaim(target: string, batchSize: number): Promise<(() => void) | undefined> {
    const claimNow = () => {};
    if (this.windowMs <= 0) return this.state.running() ? claimNow : undefined;
    for (;;) {
      if (!this.state.running()) return undefined;
      if (this.state.waitedFor(target)) return claimNow;
      const other = this.filling.get(target);
      if (!other) break;
      await other;
    }
    let release = () => {};
    this.filling.set(target, new Promise<void>((resolve) => (release = resolve)));
    const done = () => {
      this.filling.delete(target);
      release();
    };
    try {
      for (;;) {
        if (this.state.waitedFor(target)) return done;
        const wait = this.state.running()
          ? coalesceWait(await this.due(target, batchSize), { windowMs: this.windowMs, batchSize })
          : "nothing";
        if (wait === "nothing") break;
        if (wait <= 0) return done;
        // Asked again after the wait: a client may now wait for the delivery, or a full batch be due.
        await this.sleep(target, wait);
      }
    } catch (err) {
      done();
      throw err;
    }
    done();
    return undefined;
  }

  private sleep(target: string, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.hurried.off("hurry", onHurry);
        resolve();
      };
      const onHurry = (t: string) => (t === target || t === "*") && done();
      const timer = setTimeout(done, ms);
      this.hurried.on("hurry", onHurry);
    });
  }
}
