// SCIM requests come first. An IdP waits for every answer; nobody waits for a delivery (unless it asked with
// `Prefer: wait=N`, which the dispatcher serves at once). So while SCIM requests are being answered and they
// keep this process's event loop saturated, the dispatcher gives way: it claims work in a quiet moment, or at the
// latest once per target every `yieldMs`, so deliveries slow down during an IdP's burst (and come in larger,
// cheaper batches) but never stop. While the burst goes on, each turn comes twice as late as the one before, up to
// 8 × `yieldMs`, and until the traffic has been quiet for `yieldMs` a target runs one batch at a time, then twice as
// many every `yieldMs / 2`: the deliveries' work (the same in total) waits for the burst's end instead of slowing
// it, and a short pause in the push does not start every worker at once.
// With CPU to spare (an IdP's usual pace) nothing gives way. "No CPU to spare" is this process's event loop being
// saturated, or working hard while the machine's processors are nearly all busy: the database on the same machine
// (the embedded store, or a PostgreSQL beside the bridge) can be what limits the IdP while the loop waits on it.
// A busy machine alone is not enough: a client polling a quiet bridge on a machine busy with something else is
// no reason to hold deliveries back.
import { cpus } from "node:os";
import { type EventLoopUtilization, performance } from "node:perf_hooks";

/**
 * How long no request must have been in flight to count as quiet. Between two requests of a busy IdP's
 * connection there are gaps of a fraction of a millisecond with nothing in flight; those are not quiet.
 */
const QUIET_MS = 50;
/** Event-loop utilisation above which SCIM requests and deliveries compete for the CPU. */
const SATURATED = 0.8;
/** Share of the machine's processors in use above which the bridge's neighbours (its database) have none to spare. */
const MACHINE_SATURATED = 0.9;
/** Event-loop utilisation from which the bridge is working for its clients (with the machine saturated, it competes). */
const WORKING = 0.5;
/** How often the utilisation is re-measured (over the time since the last measurement). */
const ELU_WINDOW_MS = 250;

/** How many times a target's turn doubles while the SCIM traffic stays saturated (8 × yieldMs at most). */
export const MAX_YIELD_DOUBLINGS = 3;

/**
 * The time between a target's turns after `streak` turns in a row were taken while the SCIM traffic stayed
 * saturated (0 after a pause of yieldMs).
 */
export function turnInterval(yieldMs: number, streak: number): number {
  return yieldMs * 2 ** Math.min(Math.max(0, streak), MAX_YIELD_DOUBLINGS);
}

/**
 * A target's streak of busy turns after giving way: one more when its turn came while the traffic stayed
 * saturated; kept through a pause shorter than yieldMs (between an IdP's creates and its updates); 0 after a
 * longer one.
 */
export function nextBusyTurns(streak: number, turn: { held: boolean; busyLately: boolean }): number {
  return turn.held ? streak + 1 : turn.busyLately ? streak : 0;
}

/**
 * How many batches a target may have in flight `quietMs` after the SCIM traffic last kept the event loop saturated:
 * one until `yieldMs`, then twice as many every `yieldMs / 2` (all of them 2.5 × yieldMs after a burst with the
 * usual 12 workers). A short pause between two bursts of an IdP's push (its creates, then its updates) then does not
 * set every worker going at once, each with a batch that runs on into the next burst; a longer one soon does.
 */
export function batchesInFlight(quietMs: number, yieldMs: number): number {
  if (quietMs < yieldMs) return 1;
  return 2 ** Math.min(30, 1 + Math.floor((quietMs - yieldMs) / Math.max(1, yieldMs / 2)));
}

/** How long until batchesInFlight(quietMs, yieldMs) next grows. */
export function untilMoreInFlight(quietMs: number, yieldMs: number): number {
  if (quietMs < yieldMs) return yieldMs - quietMs;
  const step = Math.max(1, yieldMs / 2);
  return step - ((quietMs - yieldMs) % step);
}

/** A meter of this process's event loop: each call gives its utilisation since the previous call. */
function eventLoopMeter(): () => number {
  let mark: EventLoopUtilization = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const share = performance.eventLoopUtilization(now, mark).utilization;
    mark = now;
    return share;
  };
}

/**
 * A meter of the machine's processors: each call gives the share of their time spent busy since the previous
 * call (0 where the platform does not tell). Time given to niced processes counts as spare: the bridge comes first.
 */
export function machineCpu(): () => number {
  const read = () => {
    let busy = 0;
    let total = 0;
    for (const c of cpus()) {
      const t = c.times.user + c.times.sys + c.times.irq;
      busy += t;
      total += t + c.times.nice + c.times.idle;
    }
    return { busy, total };
  };
  let last = read();
  return () => {
    const now = read();
    const total = now.total - last.total;
    const share = total > 0 ? (now.busy - last.busy) / total : 0;
    last = now;
    return share;
  };
}

export class ForegroundLoad {
  private inFlight = 0;
  /** When the last request in flight was answered (performance.now(), the clock timers run on). */
  private lastLeft = Number.NEGATIVE_INFINITY;
  private readonly waiters = new Set<() => void>();
  private quietTimer: NodeJS.Timeout | undefined;
  private eluAt = performance.now();
  private saturated = false;
  /** When SCIM requests last kept the event loop saturated (performance.now()). */
  private lastBusy = Number.NEGATIVE_INFINITY;
  private readonly saturation: () => boolean;
  private readonly loopBusy: () => number;
  private readonly machineBusy: () => number;

  /**
   * For tests: `saturation` replaces the whole measurement; `loopBusy` and `machineBusy` the meters (each call
   * gives the share of the time since the previous call that the event loop, or the machine's processors, spent
   * busy).
   */
  constructor(
    opts: { saturation?: () => boolean; loopBusy?: () => number; machineBusy?: () => number } = {},
  ) {
    this.saturation = opts.saturation ?? (() => this.measureSaturation());
    this.loopBusy = opts.loopBusy ?? eventLoopMeter();
    this.machineBusy = opts.machineBusy ?? machineCpu();
  }

  /** Marks one request in flight; call the returned function once it is answered (repeat calls are harmless). */
  enter(): () => void {
    this.inFlight++;
    if (this.saturation()) this.lastBusy = performance.now();
    clearTimeout(this.quietTimer);
    this.quietTimer = undefined;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      if (--this.inFlight === 0) {
        this.lastLeft = performance.now();
        if (this.waiters.size) this.armQuietTimer(QUIET_MS);
      }
    };
  }

  /** Whether a request is being answered now or was a moment ago, while the event loop has no time to spare. */
  get busy(): boolean {
    const busy = (this.inFlight > 0 || performance.now() - this.lastLeft < QUIET_MS) && this.saturation();
    if (busy) this.lastBusy = performance.now();
    return busy;
  }

  /** Whether SCIM requests kept the event loop saturated at some time in the last `ms` (or do now). */
  busyWithin(ms: number): boolean {
    return this.quietFor() < ms;
  }

  /** How long since SCIM requests last kept the event loop saturated: 0 while they do, Infinity if they never did. */
  quietFor(): number {
    return this.busy ? 0 : performance.now() - this.lastBusy;
  }

  private measureSaturation(): boolean {
    const now = performance.now();
    if (now - this.eluAt >= ELU_WINDOW_MS) {
      const loop = this.loopBusy();
      const machine = this.machineBusy();
      this.saturated = loop > SATURATED || (loop > WORKING && machine > MACHINE_SATURATED);
      this.eluAt = now;
    }
    return this.saturated;
  }

  /**
   * Resolves `true` once nothing has been in flight for a moment, `false` after `ms` or when `interrupt` fires
   * (someone waits for a delivery). Resolves at once when it is quiet already.
   */
  whenQuiet(ms: number, interrupt?: AbortSignal): Promise<boolean> {
    if (!this.busy) return Promise.resolve(true);
    if (ms <= 0 || interrupt?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const finish = (quiet: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(onQuiet);
        interrupt?.removeEventListener("abort", onInterrupt);
        resolve(quiet);
      };
      const onQuiet = () => finish(true);
      const onInterrupt = () => finish(false);
      const timer = setTimeout(() => finish(false), ms);
      this.waiters.add(onQuiet);
      interrupt?.addEventListener("abort", onInterrupt, { once: true });
      if (this.inFlight === 0 && !this.quietTimer)
        this.armQuietTimer(QUIET_MS - (performance.now() - this.lastLeft));
    });
  }

  private armQuietTimer(ms: number) {
    clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(
      () => {
        this.quietTimer = undefined;
        if (this.inFlight > 0) return; // the request that ends this will arm it again
        const left = QUIET_MS - (performance.now() - this.lastLeft);
        if (left > 0) this.armQuietTimer(left);
        else for (const w of [...this.waiters]) w();
      },
      Math.max(0, ms),
    );
  }
}
