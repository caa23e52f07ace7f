// Operator actions that send work to a target: provision one resource now, and reconcile or import, as a dry run
// or applied. Reconcile and import may run long: `start…` checks the role at once (a refusal is answered before
// anything runs) and returns the run, whose audit row is written when it finishes.
import { randomUUID } from "node:crypto";
import type { ResourceView } from "../../directory/index.ts";
import type { ResourceType } from "../../store/index.ts";
import { handlesGroups } from "../../targets/target.ts";
import { type ImportOptions, type ImportReport, importFrom } from "../import/index.ts";
import {
  findTarget,
  outboxMark,
  type ReconcileOptions,
  type ReconcileReport,
  reconcile,
} from "../reconcile/index.ts";
import { enqueueRepairs } from "../reconcile/repairs.ts";
import { usersInScope } from "../scope.ts";
import type { Actor } from "./actor.ts";
import { authorize, perform, recorded } from "./perform.ts";
import type { ActionDeps } from "./types.ts";

export const nameOf = (v: ResourceView) =>
  String(v.resource.data.userName ?? v.resource.data.displayName ?? v.resource.id);

/**
 * Sends one resource to one target now (a provision job through the outbox, like a reconcile repair). Refused when
 * the target does not manage groups, or the user is outside its scope (provisioning would undo a deprovision).
 */
export async function provisionNow(
  deps: ActionDeps,
  actor: Actor,
  type: ResourceType,
  id: string,
  target: string,
) {
  return perform(
    deps.db,
    actor,
    "operator.provision",
    { target, resourceType: type, resourceId: id },
    async () => {
      const t = findTarget(deps.targets, target);
      const view = await deps.directory.get(type, id, { relations: false });
      const refuse = (message: string) => ({
        value: { queued: false, view },
        outcome: "refused" as const,
        message,
      });
      if (type === "Group" && !handlesGroups(t.target))
        return refuse(`${target} does not manage groups, so there is nothing to provision there.`);
      if (type === "User" && !(await usersInScope(deps.db, deps.directory.schemas.User, t, [id])).has(id))
        return refuse(
          `${nameOf(view)} is not in the scope of ${target} (${t.scope}); the bridge would deprovision it there, so nothing was sent. Change the user's groups or attributes in the IdP to bring it into scope.`,
        );
      const enqueued = await enqueueRepairs(
        deps.db,
        target,
        [{ type, resourceId: id, action: "provision" }],
        deps.breaker,
        actor.requestId ?? `operator-${randomUUID()}`,
      );
      deps.kick?.(target);
      return { value: { queued: true, view }, detail: { enqueued } };
    },
  );
}

/** A run started: its outbox mark (the first job it could queue) and its report once finished. */
export interface Started<T> {
  mark: number;
  finished: Promise<T>;
}

async function startRun<T>(
  deps: ActionDeps,
  actor: Actor,
  kind: "reconcile" | "import",
  target: string,
  apply: boolean,
  run: () => Promise<T>,
  summary: (r: T) => Record<string, unknown>,
): Promise<Started<T>> {
  const action = `operator.${kind}.${apply ? "apply" : "dry-run"}` as const;
  await authorize(deps.db, actor, action, { target });
  const mark = await outboxMark(deps.db);
  const finished = recorded(deps.db, actor, action, { target }, async () => {
    findTarget(deps.targets, target);
    const report = await run();
    return { value: report, detail: summary(report) };
  }).then((d) => d.value);
  // The caller may not await it at once (the console polls); the rejection is handled there or here.
  finished.catch(() => {});
  return { mark, finished };
}

export function startReconcile(
  deps: ActionDeps,
  actor: Actor,
  opts: Omit<ReconcileOptions, "deprovisionUnmanaged">,
): Promise<Started<ReconcileReport>> {
  const apply = !!opts.apply;
  return startRun(
    deps,
    actor,
    "reconcile",
    opts.target,
    apply,
    () => reconcile(deps, { ...opts, apply, deprovisionUnmanaged: !!deps.deprovisionUnmanaged }),
    (r) => ({ users: r.users, groups: r.groups, enqueued: r.enqueued }),
  );
}

export function startImport(
  deps: ActionDeps,
  actor: Actor,
  opts: ImportOptions,
): Promise<Started<ImportReport>> {
  const apply = !!opts.apply;
  return startRun(
    deps,
    actor,
    "import",
    opts.from,
    apply,
    async () => {
      const report = await importFrom(deps, { ...opts, apply });
      if (apply) deps.kick?.();
      return report;
    },
    (r) => ({ users: r.users, groups: r.groups }),
  );
}
