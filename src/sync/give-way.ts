// Deliveries give way to SCIM requests: the state and the waiting that apply the pure rules of foreground.ts
// (batchesInFlight, turnInterval, nextBusyTurns) to one process's workers, target by target.
import { EventEmitter } from "node:events";
import {
  batchesInFlight,
  type ForegroundLoad,
  nextBusyTurns,
  turnInterval,
  untilMoreInFlight,
} from "./foreground.ts";

/** A target's batch slot was released, or a waiter should look again (`*`: every target, as on stop). */
const SLOT_FREED = "slot freed";

export interface GiveWayState {
  running(): boolean;
  /** A client waits for a delivery to this target: its workers do not give way. */
  waitedFor(target: string): boolean;
}

export class GiveWay {
  private readonly events = new EventEmitter();
  /** When each target last claimed a batch. */
  private readonly lastClaim = new Map<string, number>();
  /** Per target: workers past `acquire` (claiming or running a batch). */
  private readonly inFlight = new Map<string, number>();
  /** Per target: turns taken in a row while the SCIM traffic stayed saturated. */
  private readonly busyTurns = new Map<string, number>();
  /** Per target: aborted when a client starts waiting for a delivery there, which ends any giving way. */
  private readonly urgent = new Map<string, AbortController>();

  private readonly foreground: ForegroundLoad | undefined;
  private readonly yieldMs: number;
  private readonly state: GiveWayState;

  constructor(foreground: ForegroundLoad | undefined, yieldMs: number, state: GiveWayState) {
    this.foreground = foreground;
    this.yieldMs = yieldMs;
    this.state = state;
    this.events.setMaxListeners(0);
  }

  /**
   * Waits for a quiet moment in the SCIM traffic before claiming, but no longer than until this target's next
   * turn, and not at all when a client waits for a delivery to this target. A turn taken while the traffic
   * stayed saturated makes the next one come twice as late (turnInterval); a pause of `yieldMs` starts over.
   * While the traffic was saturated within the last `yieldMs`, a target has one batch in flight at a time, then
   * twice as many every `yieldMs / 2` (batchesInFlight): a short gap in an IdP's push does not set every worker
   * going at once, to run on into its next burst. Returns the release of that slot.
   */
  async acquire(target: string): Promise<(() => void) | undefined> {
    const { foreground, yieldMs, state } = this;
    if (!foreground || yieldMs <= 0) return undefined;
    while (
      state.running() &&
      !state.waitedFor(target) &&
      (this.inFlight.get(target) ?? 0) >= batchesInFlight(foreground.quietFor(), yieldMs)
    ) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.events.off(SLOT_FREED, onFreed);
          resolve();
        };
        const onFreed = (t: string) => (t === target || t === "*") && done();
        const timer = setTimeout(done, Math.ceil(untilMoreInFlight(foreground.quietFor(), yieldMs)));
        this.events.on(SLOT_FREED, onFreed);
      });
    }
    this.inFlight.set(target, (this.inFlight.get(target) ?? 0) + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.inFlight.set(target, (this.inFlight.get(target) ?? 1) - 1);
      this.events.emit(SLOT_FREED, target);
    };
    let held = false;
    while (state.running() && foreground.busy && !state.waitedFor(target)) {
      const interval = turnInterval(yieldMs, this.busyTurns.get(target) ?? 0);
      const turn = (this.lastClaim.get(target) ?? 0) + interval;
      let urgent = this.urgent.get(target);
      if (!urgent || urgent.signal.aborted) {
        urgent = new AbortController();
        this.urgent.set(target, urgent);
      }
      if (await foreground.whenQuiet(turn - Date.now(), urgent.signal)) break;
      // Another worker of this target may have taken the turn while this one waited.
      if ((this.lastClaim.get(target) ?? 0) + interval <= Date.now()) {
        held = true;
        break;
      }
    }
    this.busyTurns.set(
      target,
      nextBusyTurns(this.busyTurns.get(target) ?? 0, { held, busyLately: foreground.busyWithin(yieldMs) }),
    );
    this.lastClaim.set(target, Date.now());
    return release;
  }

  /** Ends any giving way for `target` (a client now waits for a delivery there), or for every target (`*`). */
  hurry(target: string | "*") {
    if (target === "*") for (const u of this.urgent.values()) u.abort();
    else this.urgent.get(target)?.abort();
    this.events.emit(SLOT_FREED, target);
  }
}
