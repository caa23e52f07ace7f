// Reconciling one target's users, a page at a time: the page's links and correlation matches are looked up
// in batches, then the store side is walked for accounts never seen (gone) and users never provisioned (missing).
// Memory holds one page plus a set of seen target ids (strings only).
import {
  getResources,
  groupsOf,
  linkedPage,
  linksByTargetIds,
  NIL_UUID,
  resourcesByKeys,
  STORE_PAGE,
  unlinkedPage,
} from "../../store/index.ts";
import { targetKind } from "../../targets/registry.ts";
import type { DesiredUser, TargetAccount } from "../../targets/target.ts";
import { usersInScope } from "../scope.ts";
import { driftCheckFor } from "./desired-fields.ts";
import type { RepairJob } from "./repairs.ts";
import type { ConfiguredTarget, ReconcileItem, SyncDeps } from "./types.ts";

export interface Sink {
  item(i: ReconcileItem): void;
  repair(r: RepairJob): Promise<void>;
  page(phase: "users" | "groups" | "store", seen: number): void;
}

/** The keys an account may correlate by, as its kind says (default: its own key), lower-cased. */
export function correlationKeys(kind: string, a: TargetAccount): string[] {
  const own = targetKind(kind)?.correlationKeys;
  return own ? own(a) : a.key.trim() ? [a.key.toLowerCase()] : [];
}

export async function reconcileUsers(
  deps: SyncDeps,
  t: ConfiguredTarget,
  sink: Sink,
  opts: { deprovisionUnmanaged: boolean },
) {
  const { db } = deps;
  const userSchema = deps.directory.schemas.User;
  const drift = driftCheckFor(t);
  const seen = new Set<string>();
  const matchedStoreIds = new Set<string>();
  const base = { target: t.name, type: "User" as const };

  for await (const page of t.target.listUsers()) {
    for (const a of page) seen.add(a.targetId);
    sink.page("users", seen.size);
    const linkRows = (
      await linksByTargetIds(
        db,
        t.name,
        page.map((a) => a.targetId),
      )
    ).filter((l) => l.resourceType === "User");
    const links = new Map(linkRows.map((l) => [l.targetId as string, l.resourceId]));
    const sentOf = new Map(linkRows.map((l) => [l.resourceId, l.sent ?? undefined]));
    const users = new Map((await getResources(db, "User", [...links.values()])).map((u) => [u.id, u]));
    const inScope = await usersInScope(db, userSchema, t, [...users.keys()]);
    const groups = await groupsOf(db, [...users.keys()]);
    const unlinked = page.filter((a) => !links.has(a.targetId));
    const matches = await resourcesByKeys(
      db,
      "User",
      t.name,
      unlinked.flatMap((a) => correlationKeys(t.target.kind, a)),
    );
    const matchScope = await usersInScope(
      db,
      userSchema,
      t,
      [...matches.values()].map((m) => m.id),
    );

    for (const a of page) {
      const at = { ...base, key: a.key, targetId: a.targetId };
      const scimId = links.get(a.targetId);
      if (scimId) {
        const u = users.get(scimId);
        if (u && inScope.has(u.id)) {
          const desired: DesiredUser = {
            scimId,
            data: u.data,
            active: u.data.active !== false,
            groups: (groups.get(u.id) ?? []).map((g) => g.display),
          };
          const values = drift(desired, a, sentOf.get(scimId));
          if (!values.length) sink.item({ ...at, scimId, status: "in-sync", repair: "none" });
          else {
            const fields = values.map((v) => v.field);
            sink.item({ ...at, scimId, status: "drifted", fields, values, repair: "provision" });
            await sink.repair({ type: "User", resourceId: scimId, action: "provision" });
          }
        } else if (a.active) {
          // Deleted in SCIM or out of scope, yet active in the target: deprovisioning did not stick.
          const note = u ? "out of the target's scope" : "deleted in the store";
          sink.item({ ...at, scimId, status: "drifted", fields: ["active"], repair: "deprovision", note });
          await sink.repair({ type: "User", resourceId: scimId, action: "deprovision" });
        } else sink.item({ ...at, scimId, status: "in-sync", repair: "none" });
        continue;
      }
      const match = correlationKeys(t.target.kind, a)
        .map((k) => matches.get(k))
        .find((m) => m !== undefined);
      if (match && !match.linkedTo && !matchedStoreIds.has(match.id) && matchScope.has(match.id)) {
        matchedStoreIds.add(match.id);
        sink.item({ ...at, scimId: match.id, status: "found-unlinked", repair: "link+provision" });
        await sink.repair({ type: "User", resourceId: match.id, action: "provision", linkTo: a.targetId });
        continue;
      }
      const note = match
        ? match.linkedTo
          ? `matches store user ${match.id}, which is linked to another account`
          : `matches store user ${match.id}, who is out of the target's scope`
        : undefined;
      const deprovision = opts.deprovisionUnmanaged && a.active;
      sink.item({
        ...at,
        status: "unmanaged",
        repair: deprovision ? "deprovision" : "none",
        ...(note ? { note } : {}),
      });
      if (deprovision) await sink.repair({ type: "User", action: "deprovision", linkTo: a.targetId });
    }
  }

  // Linked accounts never listed are gone from the target.
  for (let after = NIL_UUID; ; ) {
    const rows = await linkedPage(db, t.name, "User", after, STORE_PAGE);
    if (!rows.length) break;
    after = rows.at(-1)!.resourceId;
    const gone = rows.filter((r) => !seen.has(r.targetId));
    const scope = await usersInScope(
      db,
      userSchema,
      t,
      gone.filter((r) => r.exists).map((r) => r.resourceId),
    );
    for (const r of gone) {
      const wanted = scope.has(r.resourceId);
      sink.item({
        ...base,
        key: r.key ?? r.resourceId,
        scimId: r.resourceId,
        targetId: r.targetId,
        status: "gone",
        repair: wanted ? "relink+provision" : "none",
        ...(wanted ? {} : { note: "not wanted in the target any more" }),
      });
      if (!wanted) continue;
      // Counted here; the missing walk below must not report it again once its link is cleared.
      matchedStoreIds.add(r.resourceId);
      await sink.repair({ type: "User", resourceId: r.resourceId, action: "provision", unlink: true });
    }
    sink.page("store", seen.size);
  }

  // Active users in scope that have no account in the target.
  for (let after = NIL_UUID; ; ) {
    const rows = await unlinkedPage(db, t.name, "User", after, STORE_PAGE);
    if (!rows.length) break;
    after = rows.at(-1)!.id;
    const scope = await usersInScope(
      db,
      userSchema,
      t,
      rows.filter((r) => !matchedStoreIds.has(r.id)).map((r) => r.id),
    );
    for (const r of rows) {
      if (!scope.has(r.id)) continue;
      sink.item({ ...base, key: r.key, scimId: r.id, status: "missing", repair: "provision" });
      await sink.repair({ type: "User", resourceId: r.id, action: "provision" });
    }
  }
}
