// Clients waiting for a delivery attempt (`Prefer: wait`, SYNC_WAIT_MS): who waits for which target, and the
// signal that a resource's delivery to a target was attempted.
import { EventEmitter } from "node:events";

export class DeliveryWaiters {
  private readonly events = new EventEmitter();
  /** Per target: how many clients wait for a delivery there. */
  private readonly waiting = new Map<string, number>();

  constructor() {
    this.events.setMaxListeners(0);
  }

  /** Whether some client waits for a delivery to `target` (its workers then skip giving way and batch filling). */
  has(target: string): boolean {
    return this.waiting.has(target);
  }

  /** Records that `resourceId`'s delivery to `target` was attempted (its outcome is recorded). */
  attempted(resourceId: string, target: string) {
    this.events.emit(resourceId, target);
  }

  /**
   * Resolves when each (resource, target) has had a delivery attempt, or after `timeoutMs`. Never rejects. The
   * targets count as waited for from the call on, before `onWaiting` runs for each (to hurry their workers).
   */
  wait(
    resourceId: string,
    targets: string[],
    timeoutMs: number,
    onWaiting: (target: string) => void,
  ): Promise<void> {
    if (!targets.length || timeoutMs <= 0) return Promise.resolve();
    const left = new Set(targets);
    for (const t of targets) this.waiting.set(t, (this.waiting.get(t) ?? 0) + 1);
    for (const t of targets) onWaiting(t);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.events.off(resourceId, onAttempt);
        for (const t of targets) {
          const n = (this.waiting.get(t) ?? 1) - 1;
          if (n > 0) this.waiting.set(t, n);
          else this.waiting.delete(t);
        }
        resolve();
      };
      const onAttempt = (target: string) => {
        left.delete(target);
        if (!left.size) done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.events.on(resourceId, onAttempt);
    });
  }
}
