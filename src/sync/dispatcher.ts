// The dispatcher: every bridge process runs one. Per target it claims due work (FOR UPDATE SKIP LOCKED, one
// resource never in two hands), keeps the claim alive while the batch runs (heartbeat), plans each unit from the
// resource's current state (plan.ts), applies the operations in one batch, and records the outcomes fenced by the
// claim token (record.ts). The decisions are pure functions beside this loop.
import { EventEmitter } from "node:events";
import { hostname } from "node:os";
import type { Logger } from "pino";
import { loggableError } from "../errors.ts";
import {
  type ClaimedUnit,
  claimUnits,
  type Db,
  dueWork,
  extendClaims,
  type ResourceSchema,
} from "../store/index.ts";
import type { Outcome } from "../targets/target.ts";
import { BatchFill } from "./coalesce.ts";
import type { ConfiguredTarget } from "./configured-target.ts";
import { DeliveryWaiters } from "./delivery-waiters.ts";
import { gatherFacts } from "./facts.ts";
import type { ForegroundLoad } from "./foreground.ts";
import { GiveWay } from "./give-way.ts";
import type { SyncMetrics } from "./metrics.ts";
import { planOptions, planUnit } from "./plan.ts";
import { type Delivered, recordOutcomes } from "./record.ts";
import { type BackoffPolicy, DEFAULT_BACKOFF } from "./retry.ts";
import type { SecretBox } from "./secrets.ts";
import { SignInHistoryWriter } from "./signin-history.ts";

/** Batches a target runs at once when neither the configuration nor the target says. */
const DEFAULT_WORKERS = 2;

/** The event after each recorded batch (the other events are keyed by resource id). */
const BATCH_RECORDED = Symbol("batch recorded");

export interface DispatcherOptions {
  db: Db;
  targets: ConfiguredTarget[];
  /** The User schemas a target's scope may name. */
  userSchema: ResourceSchema;
  logger: Logger;
  secrets?: SecretBox;
  backoff?: BackoffPolicy;
  /** How often an idle worker looks for work written by other processes. */
  pollMs?: number;
  /**
   * How long a claim lasts without a heartbeat before another process may take the work over (crash recovery).
   * The claim is renewed every third of this while its batch runs.
   */
  leaseMs?: number;
  /** Batches each target runs at once in this process; default: the target's own (Target.workers), else 2. */
  workersPerTarget?: number;
  metrics?: SyncMetrics;
  /** The SCIM requests being answered in this process: deliveries give way to them (foreground.ts). */
  foreground?: ForegroundLoad;
  /** While SCIM requests are in flight, each target claims at most one batch per this many ms (0: never yield). */
  yieldMs?: number;
  /** How long a partial batch may wait to fill, counted from when its oldest job became due (0: never; coalesce.ts). */
  coalesceMs?: number;
}

export class Dispatcher {
  private readonly opts: Required<
    Omit<DispatcherOptions, "secrets" | "metrics" | "foreground" | "workersPerTarget">
  > &
    Pick<DispatcherOptions, "secrets" | "metrics" | "foreground" | "workersPerTarget">;
  private readonly events = new EventEmitter();
  private readonly wakers = new Map<string, () => void>();
  private readonly workerId = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  private claims = 0;
  /** Deliveries give way to SCIM requests (give-way.ts). */
  private readonly giveWay: GiveWay;
  /** Clients waiting for a delivery attempt (delivery-waiters.ts). */
  private readonly waiters = new DeliveryWaiters();
  /** Per target: a wake-up for the soonest retry this process put back (a group waiting for its members). */
  private readonly alarms = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  /** The short wait that lets a partial batch fill before it is claimed (coalesce.ts). */
  private readonly fill: BatchFill;
  /** The targets' sign-ins, written to the store's shared history (a batch awaits them before recording). */
  private readonly signIns: SignInHistoryWriter;
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(opts: DispatcherOptions) {
    this.opts = {
      backoff: DEFAULT_BACKOFF,
      pollMs: 1_000,
      leaseMs: 30_000,
      yieldMs: 1_000,
      coalesceMs: 0,
      ...opts,
    };
    this.events.setMaxListeners(0);
    this.fill = new BatchFill(this.opts.coalesceMs, (target, limit) => dueWork(this.opts.db, target, limit), {
      running: () => this.running,
      waitedFor: (target) => this.waiters.has(target),
    });
    this.giveWay = new GiveWay(this.opts.foreground, this.opts.yieldMs, {
      running: () => this.running,
      waitedFor: (target) => this.waiters.has(target),
    });
    // A success wakes this process's idle workers at once (the store makes the work due for the others).
    this.signIns = new SignInHistoryWriter(this.opts.db, this.opts.logger, (target) => this.kick(target));
  }

  get targets() {
    return this.opts.targets;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.signIns.listen(this.opts.targets);
    for (const t of this.opts.targets) {
      const workers = this.opts.workersPerTarget ?? t.target.workers ?? DEFAULT_WORKERS;
      for (let i = 0; i < workers; i++) this.loops.push(this.loop(t, i));
    }
  }

  /** Stops claiming; resolves when in-flight batches are recorded. */
  async stop() {
    this.running = false;
    this.giveWay.hurry("*");
    this.fill.hurry("*");
    for (const a of this.alarms.values()) clearTimeout(a.timer);
    this.alarms.clear();
    this.kick();
    await Promise.all(this.loops);
    this.loops = [];
    await this.signIns.stop();
  }

  /**
   * Calls `listener` with the target's name after each batch's outcomes are recorded (e.g. to see the queue
   * drain without polling it); returns the function that stops it.
   */
  onBatch(listener: (target: string) => void): () => void {
    this.events.on(BATCH_RECORDED, listener);
    return () => this.events.off(BATCH_RECORDED, listener);
  }

  /** Wakes idle workers (of one target, or all): called after a write commits. */
  kick(target?: string) {
    for (const [key, wake] of this.wakers) if (!target || key.startsWith(`${target}\u0000`)) wake();
  }

  /**
   * Resolves when each (resource, target) has had a delivery attempt, or after `timeoutMs`; lets a SCIM write
   * answer with the outcome when the target is quick. Never rejects.
   */
  waitForAttempt(resourceId: string, targets: string[], timeoutMs: number): Promise<void> {
    return this.waiters.wait(resourceId, targets, timeoutMs, (t) => {
      this.giveWay.hurry(t);
      this.fill.hurry(t);
    });
  }

  /** Wakes this target's idle workers in `ms` (keeping only the earliest such wake-up). */
  private wakeIn(target: string, ms: number) {
    const at = Date.now() + ms;
    const current = this.alarms.get(target);
    if (!this.running || (current && current.at <= at)) return;
    if (current) clearTimeout(current.timer);
    const timer = setTimeout(() => {
      this.alarms.delete(target);
      this.kick(target);
    }, ms);
    timer.unref();
    this.alarms.set(target, { at, timer });
  }

  private async idle(t: ConfiguredTarget, i: number) {
    const key = `${t.name}\u0000${i}`;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(finish, this.opts.pollMs);
      function finish() {
        clearTimeout(timer);
        resolve();
      }
      this.wakers.set(key, finish);
    });
    this.wakers.delete(key);
  }

  private async loop(t: ConfiguredTarget, i: number) {
    while (this.running) {
      let units: ClaimedUnit[] = [];
      try {
        const slot = await this.giveWay.acquire(t.name);
        try {
          if (!this.running) break;
          // Undefined when nothing is due: the worker idles without a claim query.
          const claimed = await this.fill.beforeClaim(t.name, t.target.batchSize);
          if (claimed) {
            const token = `${this.workerId}:${++this.claims}`;
            try {
              units = await claimUnits(this.opts.db, t.name, t.target.batchSize, token, this.opts.leaseMs);
            } finally {
              claimed();
            }
            if (units.length) await this.withHeartbeat(token, () => this.runBatch(t, units, token));
          }
        } finally {
          slot?.();
        }
      } catch (err) {
        this.opts.logger.error(
          { err: loggableError(err), target: t.name },
          "dispatcher batch failed; the work is retried after its lease",
        );
      }
      if (!units.length && this.running) await this.idle(t, i);
    }
  }

  /** Renews the claim every third of the lease until `work` settles. */
  private async withHeartbeat(token: string, work: () => Promise<void>) {
    const beat = setInterval(
      () => {
        extendClaims(this.opts.db, token, this.opts.leaseMs).catch((err: unknown) =>
          this.opts.logger.warn({ err: loggableError(err) }, "claim heartbeat failed; the lease may run out"),
        );
      },
      Math.max(100, Math.floor(this.opts.leaseMs / 3)),
    );
    try {
      await work();
    } finally {
      clearInterval(beat);
    }
  }

  private async runBatch(t: ConfiguredTarget, units: ClaimedUnit[], token: string) {
    const started = Date.now();
    const { db, logger, secrets, userSchema } = this.opts;
    const facts = await gatherFacts(db, t, userSchema, units, token, secrets, logger);
    const opts = planOptions(t.target);
    const plans = facts.map((f) => planUnit(f, opts));
    const ops = plans.flatMap((p) => (p.kind === "apply" ? [p.op] : []));
    let outcomes: Outcome[] = [];
    if (ops.length) {
      try {
        outcomes = await t.target.apply(ops);
        if (outcomes.length !== ops.length)
          throw new Error(`target returned ${outcomes.length} outcomes for ${ops.length} operations`);
      } catch (err) {
        logger.warn({ err: loggableError(err), target: t.name }, "target apply threw; retrying the batch");
        const message = (err as Error).message ?? String(err);
        outcomes = ops.map(() => ({ status: "retry", code: "TARGET_ERROR", message }));
      }
    }
    let next = 0;
    const delivered: Delivered[] = units.map((unit, i) => {
      const plan = plans[i]!;
      const outcome = plan.kind === "apply" ? outcomes[next++]! : plan.outcome;
      return { unit, facts: facts[i]!, plan, outcome };
    });
    // The sign-ins this batch made are in the store before its outcomes are decided from them.
    await this.signIns.written(t.name);
    let soonest = Number.POSITIVE_INFINITY;
    const recorded = await recordOutcomes(db, t, delivered, token, this.opts.backoff, (ms) => {
      soonest = Math.min(soonest, ms);
    });
    // A little after the retry is due by the database clock.
    if (soonest < this.opts.pollMs) this.wakeIn(t.name, soonest + 10);
    if (recorded.length < delivered.length)
      logger.warn(
        { target: t.name, stale: delivered.length - recorded.length },
        "claim taken over by another worker before the outcome was recorded; its outcome stands",
      );
    this.opts.metrics?.batch(t.name, recorded, Date.now() - started);
    for (const d of delivered) this.waiters.attempted(d.unit.resourceId, t.name);
    this.events.emit(BATCH_RECORDED, t.name);
  }
}
