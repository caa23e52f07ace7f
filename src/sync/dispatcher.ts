// The dispatcher: every bridge process runs one. Per target it claims due work (FOR UPDATE SKIP LOCKED, one
// resource never in two hands), turns each resource's latest state into one target operation, applies them in
// batches, and records the outcome: link + job state + audit, in one transaction per batch.
import { EventEmitter } from "node:events";
import { hostname } from "node:os";
import type { Logger } from "pino";
import { loggableError } from "../errors.ts";
import {
  type ClaimedUnit,
  claimUnits,
  completeJobs,
  type Db,
  getResources,
  groupsOf,
  killJobs,
  type LinkOutcome,
  linksFor,
  recordLinks,
  retryJobs,
  type StoredResource,
} from "../store/index.ts";
import type { Operation, Outcome } from "../targets/target.ts";
import type { ConfiguredTarget } from "./configured-target.ts";
import type { SyncMetrics } from "./metrics.ts";
import { type BackoffPolicy, DEFAULT_BACKOFF, decideRetry } from "./retry.ts";
import { usersInScope } from "./scope.ts";
import type { SecretBox } from "./secrets.ts";

export interface DispatcherOptions {
  db: Db;
  targets: ConfiguredTarget[];
  logger: Logger;
  secrets?: SecretBox;
  backoff?: BackoffPolicy;
  /** How often an idle worker looks for work written by other processes. */
  pollMs?: number;
  /** How long a claim lasts before another process may take the work over (crash recovery). */
  leaseMs?: number;
  workersPerTarget?: number;
  metrics?: SyncMetrics;
}

/** Why a group waits: a member's own provisioning is still queued in this target. */
const WAIT_FOR_MEMBERS_MS = 500;

interface Planned {
  unit: ClaimedUnit;
  op?: Operation;
  /** The outcome when nothing needs doing (or it cannot be done yet). */
  immediate?: Outcome & { countAttempt?: boolean };
  deprovisioning?: boolean;
}

export class Dispatcher {
  private readonly opts: Required<Omit<DispatcherOptions, "secrets" | "metrics">> &
    Pick<DispatcherOptions, "secrets" | "metrics">;
  private readonly events = new EventEmitter();
  private readonly wakers = new Map<string, () => void>();
  private readonly workerId = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(opts: DispatcherOptions) {
    this.opts = {
      backoff: DEFAULT_BACKOFF,
      pollMs: 1_000,
      leaseMs: 120_000,
      workersPerTarget: 2,
      ...opts,
    };
    this.events.setMaxListeners(0);
  }

  get targets() {
    return this.opts.targets;
  }

  start() {
    if (this.running) return;
    this.running = true;
    for (const t of this.opts.targets) {
      for (let i = 0; i < this.opts.workersPerTarget; i++) this.loops.push(this.loop(t, i));
    }
  }

  /** Stops claiming; resolves when in-flight batches are recorded. */
  async stop() {
    this.running = false;
    this.kick();
    await Promise.all(this.loops);
    this.loops = [];
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
    if (!targets.length || timeoutMs <= 0) return Promise.resolve();
    const left = new Set(targets);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.events.off(resourceId, onAttempt);
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
        units = await claimUnits(this.opts.db, t.name, t.target.batchSize, this.workerId, this.opts.leaseMs);
        if (units.length) await this.runBatch(t, units);
      } catch (err) {
        this.opts.logger.error(
          { err: loggableError(err), target: t.name },
          "dispatcher batch failed; the work is retried after its lease",
        );
      }
      if (!units.length && this.running) await this.idle(t, i);
    }
  }

  private async runBatch(t: ConfiguredTarget, units: ClaimedUnit[]) {
    const started = Date.now();
    const planned = await this.plan(t, units);
    const toApply = planned.filter((p) => p.op);
    let outcomes: Outcome[] = [];
    if (toApply.length) {
      try {
        outcomes = await t.target.apply(toApply.map((p) => p.op!));
        if (outcomes.length !== toApply.length)
          throw new Error(`target returned ${outcomes.length} outcomes for ${toApply.length} operations`);
      } catch (err) {
        this.opts.logger.warn({ err, target: t.name }, "target apply threw; retrying the batch");
        const message = (err as Error).message ?? String(err);
        outcomes = toApply.map(() => ({ status: "retry", code: "TARGET_ERROR", message }));
      }
    }
    toApply.forEach((p, i) => {
      p.immediate = outcomes[i];
    });
    await this.record(t, planned);
    this.opts.metrics?.batch(t.name, planned, Date.now() - started);
    for (const p of planned) this.events.emit(p.unit.resourceId, t.name);
  }

  /** Reads the current state of each claimed resource and decides the one operation that makes the target match. */
  private async plan(t: ConfiguredTarget, units: ClaimedUnit[]): Promise<Planned[]> {
    const db = this.opts.db;
    const userIds = units.filter((u) => u.resourceType === "User").map((u) => u.resourceId);
    const groupIds = units.filter((u) => u.resourceType === "Group").map((u) => u.resourceId);
    const [users, groups, links] = await Promise.all([
      getResources(db, "User", userIds),
      getResources(db, "Group", groupIds),
      linksFor(db, [...userIds, ...groupIds], t.name),
    ]);
    const byId = new Map<string, StoredResource>([...users, ...groups].map((r) => [r.id, r]));
    const linkOf = new Map(links.map((l) => [l.resourceId, l]));
    const inScope = await usersInScope(
      db,
      t,
      users.map((u) => u.id),
    );
    const userGroups = await groupsOf(
      db,
      users.map((u) => u.id),
    );
    const members = groupIds.length ? await this.memberLinks(t.name, groupIds) : new Map();

    return units.map((unit): Planned => {
      const r = byId.get(unit.resourceId);
      const link = linkOf.get(unit.resourceId);
      const targetId = link?.targetId ?? undefined;
      const key = unit.resourceId;
      if (unit.resourceType === "User") {
        if (r && inScope.has(r.id)) {
          const password = this.password(t, unit);
          return {
            unit,
            op: {
              kind: "user.upsert",
              key,
              ...(targetId ? { targetId } : {}),
              user: {
                scimId: r.id,
                data: r.data,
                active: r.data.active !== false,
                groups: (userGroups.get(r.id) ?? []).map((g) => g.display),
                ...(password ? { password } : {}),
              },
            },
            deprovisioning: r.data.active === false,
          };
        }
        if (targetId && !link?.deprovisioned) {
          return { unit, op: { kind: "user.deprovision", key, targetId }, deprovisioning: true };
        }
        return { unit, immediate: { status: "done", detail: "nothing to do in this target" } };
      }
      if (r) {
        const m = members.get(r.id) ?? { linked: [], waiting: 0 };
        if (m.waiting > 0) {
          return {
            unit,
            immediate: {
              status: "retry",
              code: "WAITING_FOR_MEMBERS",
              message: `${m.waiting} member(s) not provisioned yet`,
              delayMs: WAIT_FOR_MEMBERS_MS,
              countAttempt: false,
            },
          };
        }
        const externalId = typeof r.data.externalId === "string" ? r.data.externalId : undefined;
        return {
          unit,
          op: {
            kind: "group.upsert",
            key,
            ...(targetId ? { targetId } : {}),
            group: {
              scimId: r.id,
              displayName: String(r.data.displayName),
              ...(externalId ? { externalId } : {}),
              memberTargetIds: m.linked,
            },
          },
        };
      }
      if (targetId && !link?.deprovisioned)
        return { unit, op: { kind: "group.delete", key, targetId }, deprovisioning: true };
      return { unit, immediate: { status: "done", detail: "nothing to do in this target" } };
    });
  }

  /** Target ids of each group's members in this target, and how many members still wait for their own delivery. */
  private async memberLinks(target: string, groupIds: string[]) {
    const { rows } = await this.opts.db.query<{
      group_id: string;
      target_id: string | null;
      waiting: boolean;
    }>(
      `SELECT group_id, target_id, waiting FROM (
         SELECT m.group_id,
                CASE WHEN NOT l.deprovisioned THEN l.target_id END AS target_id,
                EXISTS (SELECT 1 FROM outbox o WHERE o.target = $1 AND o.resource_id = m.member_id
                          AND o.state IN ('pending', 'running') AND o.action = 'provision') AS waiting
           FROM group_members m
           LEFT JOIN links l ON l.resource_id = m.member_id AND l.target = $1
          WHERE m.group_id = ANY($2::uuid[]) AND m.member_type = 'User') AS x
        WHERE target_id IS NOT NULL OR waiting`,
      [target, groupIds],
    );
    const out = new Map<string, { linked: string[]; waiting: number }>();
    for (const r of rows) {
      const e = out.get(r.group_id) ?? { linked: [], waiting: 0 };
      if (r.waiting && !r.target_id) e.waiting++;
      else if (r.target_id) e.linked.push(r.target_id);
      out.set(r.group_id, e);
    }
    return out;
  }

  private password(t: ConfiguredTarget, unit: ClaimedUnit): string | undefined {
    if (!t.target.acceptsPasswords || !this.opts.secrets) return undefined;
    const sealed = [...unit.jobs].reverse().find((j) => j.secret)?.secret;
    if (!sealed) return undefined;
    try {
      return this.opts.secrets.open(sealed);
    } catch {
      this.opts.logger.warn(
        { target: t.name, resourceId: unit.resourceId },
        "cannot decrypt a queued password (outbox key changed?); delivering without it",
      );
      return undefined;
    }
  }

  private async record(t: ConfiguredTarget, planned: Planned[]) {
    const { backoff } = this.opts;
    await this.opts.db.transaction(async (tx) => {
      const links: LinkOutcome[] = [];
      const audit: {
        resourceType: string;
        resourceId: string;
        outcome: string;
        detail: string;
        requestId: string | null;
      }[] = [];
      for (const p of planned) {
        const o = p.immediate!;
        const ids = p.unit.jobs.map((j) => j.id);
        const head = p.unit.jobs[0]!;
        const base = { resourceType: p.unit.resourceType, resourceId: p.unit.resourceId };
        if (o.status === "done") {
          await completeJobs(tx, ids);
          links.push({
            ...base,
            state: "synced",
            targetId: o.targetId ?? null,
            ...(p.op ? { deprovisioned: !!p.deprovisioning } : {}),
          });
          if (p.op)
            audit.push({
              ...base,
              outcome: "synced",
              detail: o.detail ?? p.op.kind,
              requestId: head.requestId,
            });
          continue;
        }
        const countAttempt = !("countAttempt" in o) || o.countAttempt !== false;
        const decision =
          o.status === "failed"
            ? ({ kind: "dead" } as const)
            : decideRetry(head.attempts, backoff, o.delayMs);
        if (decision.kind === "retry" || !countAttempt) {
          const delay =
            decision.kind === "retry" ? decision.delayMs : ((o as { delayMs?: number }).delayMs ?? 1000);
          await retryJobs(tx, ids, delay, o.code, o.message, countAttempt);
          links.push({ ...base, state: "pending", errorCode: o.code, errorMessage: o.message });
          if (countAttempt)
            audit.push({
              ...base,
              outcome: "retry",
              detail: `${o.code}: ${o.message}`,
              requestId: head.requestId,
            });
        } else {
          await killJobs(tx, ids, o.code, o.message);
          links.push({ ...base, state: "failed", errorCode: o.code, errorMessage: o.message });
          audit.push({
            ...base,
            outcome: "failed",
            detail: `${o.code}: ${o.message}`,
            requestId: head.requestId,
          });
        }
      }
      await recordLinks(tx, t.name, links);
      if (audit.length) {
        await tx.query(
          `INSERT INTO audit (action, target, resource_type, resource_id, outcome, request_id, detail, actor)
           SELECT 'target.deliver', $1, a.rt, a.rid, a.oc, a.req, jsonb_build_object('detail', a.d), 'dispatcher'
             FROM unnest($2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[]) AS a(rt, rid, oc, req, d)`,
          [
            t.name,
            audit.map((a) => a.resourceType),
            audit.map((a) => a.resourceId),
            audit.map((a) => a.outcome),
            audit.map((a) => a.requestId),
            audit.map((a) => a.detail),
          ],
        );
      }
    });
  }
}
