// SCIM requests come first. An IdP waits for every answer; nobody waits for a delivery (unless it asked with
// `Prefer: wait=N`, which the dispatcher serves at once). So while SCIM requests are being answered, the
// dispatcher gives way: it claims work in a quiet moment, or at the latest once per target every `yieldMs`, so
// deliveries slow down during an IdP's burst (and come in larger, cheaper batches) but never stop.

/** How long nothing must be in flight to count as a quiet moment (one event-loop turn is not enough). */
const QUIET_MS = 2;

export class ForegroundLoad {
  private inFlight = 0;
  private readonly waiters = new Set<() => void>();
  private quietTimer: NodeJS.Timeout | undefined;

  /** Marks one request in flight; call the returned function once it is answered (repeat calls are harmless). */
  enter(): () => void {
    this.inFlight++;
    clearTimeout(this.quietTimer);
    this.quietTimer = undefined;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      if (--this.inFlight === 0 && this.waiters.size) {
        clearTimeout(this.quietTimer);
        this.quietTimer = setTimeout(() => {
          this.quietTimer = undefined;
          for (const w of [...this.waiters]) w();
        }, QUIET_MS);
      }
    };
  }

  /** Whether a request is being answered now. */
  get busy(): boolean {
    return this.inFlight > 0;
  }

  /**
   * Resolves `true` once nothing has been in flight for a moment, `false` after `ms` or when `interrupt` fires
   * (someone waits for a delivery). Resolves at once when nothing is in flight.
   */
  whenQuiet(ms: number, interrupt?: AbortSignal): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
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
    });
  }
}
