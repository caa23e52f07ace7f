// import(from): bring a target's users and groups into the store, linked to their accounts there, so the
// dispatcher provisions them into every other target in scope. Writes go through the Directory (the outbox
// writer runs, pre-flight included); re-running updates what changed and skips the rest.
import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import type { Queued } from "../../directory/index.ts";
import {
  getResources,
  linkedIdsOf,
  linksByTargetIds,
  membersOfGroups,
  recordLinks,
  resourcesByKeys,
  type StoredResource,
} from "../../store/index.ts";
import { handlesGroups, type TargetAccount, type TargetGroup } from "../../targets/target.ts";

import { findTarget } from "../reconcile/reconcile.ts";
import type { ConfiguredTarget, SyncDeps } from "../reconcile/types.ts";
import { IMPORTED_ATTRIBUTES, scimUserFromAccount } from "./account-to-scim.ts";
import { importContext } from "./source-link.ts";
import { emptyResults, type ImportItem, type ImportOptions, type ImportReport } from "./types.ts";

const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";

/** The stored body with the imported attributes (and extension values) replaced; everything else kept. */
export function mergeImported(stored: Record<string, unknown>, imported: Record<string, unknown>) {
  const out: Record<string, unknown> = { ...stored };
  for (const k of IMPORTED_ATTRIBUTES)
    if (k !== "userName" && imported[k] !== undefined) out[k] = imported[k];
  for (const [k, v] of Object.entries(imported)) {
    if (!k.startsWith("urn:")) continue;
    out[k] = { ...(stored[k] as object | undefined), ...(v as object) };
  }
  const schemas = [
    ...((stored.schemas as string[] | undefined) ?? []),
    ...((imported.schemas as string[]) ?? []),
  ];
  out.schemas = [...new Set(schemas)];
  return out;
}

export async function importFrom(deps: SyncDeps, opts: ImportOptions): Promise<ImportReport> {
  const started = Date.now();
  const t = findTarget(deps.targets, opts.from);
  const maxItems = opts.maxItems ?? 10_000;
  const requestId = `import-${randomUUID()}`;
  const report: ImportReport = {
    from: t.name,
    applied: !!opts.apply,
    users: emptyResults(),
    groups: emptyResults(),
    items: [],
    truncated: false,
    durationMs: 0,
  };
  const record = (i: ImportItem) => {
    (i.type === "User" ? report.users : report.groups)[i.result]++;
    if (report.items.length < maxItems) report.items.push(i);
    else report.truncated = true;
    opts.onItem?.(i);
  };
  let seen = 0;
  for await (const page of t.target.listUsers()) {
    seen += page.length;
    opts.onProgress?.({ phase: "users", seen });
    for (const item of await importUserPage(deps, t, page, opts, requestId)) record(item);
  }
  const target = t.target;
  if (handlesGroups(target)) {
    seen = 0;
    for await (const page of target.listGroups()) {
      seen += page.length;
      opts.onProgress?.({ phase: "groups", seen });
      for (const g of page) record(await importGroup(deps, t, g, opts, requestId));
    }
  }
  report.durationMs = Date.now() - started;
  return report;
}

async function importUserPage(
  deps: SyncDeps,
  t: ConfiguredTarget,
  page: TargetAccount[],
  opts: ImportOptions,
  requestId: string,
): Promise<ImportItem[]> {
  const { db, directory } = deps;
  const links = await linkedIdsOf(
    db,
    t.name,
    "User",
    page.map((a) => a.targetId),
  );
  const stored = new Map((await getResources(db, "User", [...links.values()])).map((u) => [u.id, u]));
  const matches = await resourcesByKeys(
    db,
    "User",
    t.name,
    page.filter((a) => !links.has(a.targetId)).map((a) => a.key),
  );
  const out: ImportItem[] = [];
  for (const a of page) {
    const at = { type: "User" as const, key: a.key, targetId: a.targetId };
    const linkedId = links.get(a.targetId);
    try {
      const data = scimUserFromAccount(t.target.kind, a);
      if (linkedId) {
        const u = stored.get(linkedId);
        if (!u) {
          out.push({ ...at, scimId: linkedId, result: "skipped", reason: "its store user was deleted" });
          continue;
        }
        const merged = mergeImported(u.data, data);
        if (isDeepStrictEqual(merged, u.data)) {
          out.push({ ...at, scimId: u.id, result: "skipped", reason: "unchanged" });
          continue;
        }
        if (opts.apply) {
          const { queued } = await directory.update(
            "User",
            u.id,
            // Merged again on the row as it is written (at the version read, or locked), so a SCIM write in between is
            // not overwritten.
            { mutate: async (current) => ({ data: mergeImported(current, data) }) },
            importContext(t.name, a.targetId, requestId),
          );
          noteQueued(deps, queued);
        }
        out.push({ ...at, scimId: u.id, result: "updated" });
        continue;
      }
      if (!a.active && !opts.includeInactive) {
        out.push({
          ...at,
          result: "skipped",
          reason: `inactive in ${t.name} (--include-inactive imports it)`,
        });
        continue;
      }
      const match = matches.get(a.key.toLowerCase());
      if (match) {
        if (match.linkedTo && match.linkedTo !== a.targetId) {
          out.push({
            ...at,
            scimId: match.id,
            result: "skipped",
            reason: `store user ${a.key} is linked to another account of ${t.name} (${match.linkedTo})`,
          });
          continue;
        }
        if (opts.apply)
          await recordLinks(db, t.name, [
            { resourceType: "User", resourceId: match.id, targetId: a.targetId, state: "synced" },
          ]);
        out.push({ ...at, scimId: match.id, result: "linked" });
        continue;
      }
      let scimId: string | undefined;
      if (opts.apply) {
        const { view, queued } = await directory.create(
          "User",
          data,
          importContext(t.name, a.targetId, requestId),
        );
        noteQueued(deps, queued);
        scimId = view.resource.id;
      }
      out.push({ ...at, ...(scimId ? { scimId } : {}), result: "created" });
    } catch (e) {
      out.push({ ...at, result: "failed", reason: (e as Error).message });
    }
  }
  return out;
}

async function importGroup(
  deps: SyncDeps,
  t: ConfiguredTarget,
  g: TargetGroup,
  opts: ImportOptions,
  requestId: string,
): Promise<ImportItem> {
  const { db, directory } = deps;
  const at = { type: "Group" as const, key: g.displayName, targetId: g.targetId };
  try {
    const memberIds = (await linksByTargetIds(db, t.name, g.memberTargetIds ?? []))
      .filter((l) => l.resourceType === "User")
      .map((l) => l.resourceId);
    const members = (await getResources(db, "User", memberIds)).map((u) => ({
      value: u.id,
      type: "User" as const,
    }));
    const linkedId = (await linksByTargetIds(db, t.name, [g.targetId])).find(
      (l) => l.resourceType === "Group",
    )?.resourceId;
    const ctx = () => importContext(t.name, g.targetId, requestId);
    if (linkedId) {
      const [stored] = await getResources(db, "Group", [linkedId]);
      if (!stored)
        return { ...at, scimId: linkedId, result: "skipped", reason: "its store group was deleted" };
      if (
        await groupUnchanged(
          deps,
          stored,
          g,
          members.map((m) => m.value),
        )
      )
        return { ...at, scimId: linkedId, result: "skipped", reason: "unchanged" };
      if (opts.apply) {
        const { queued } = await directory.update(
          "Group",
          linkedId,
          { data: { ...stored.data, displayName: g.displayName }, members },
          ctx(),
        );
        noteQueued(deps, queued);
      }
      return { ...at, scimId: linkedId, result: "updated" };
    }
    const match = (await resourcesByKeys(db, "Group", t.name, [g.displayName])).get(
      g.displayName.toLowerCase(),
    );
    if (match) {
      if (match.linkedTo && match.linkedTo !== g.targetId)
        return {
          ...at,
          scimId: match.id,
          result: "skipped",
          reason: "the store group is linked to another group",
        };
      if (opts.apply)
        await recordLinks(db, t.name, [
          { resourceType: "Group", resourceId: match.id, targetId: g.targetId, state: "synced" },
        ]);
      return { ...at, scimId: match.id, result: "linked" };
    }
    if (!opts.apply) return { ...at, result: "created" };
    const { view, queued } = await directory.create(
      "Group",
      { schemas: [GROUP_SCHEMA], displayName: g.displayName },
      ctx(),
      { members },
    );
    noteQueued(deps, queued);
    return { ...at, scimId: view.resource.id, result: "created" };
  } catch (e) {
    return { ...at, result: "failed", reason: (e as Error).message };
  }
}

/** Tells the outbox's statistics how many jobs an import's write queued (one per resource and target). */
function noteQueued(deps: SyncDeps, queued: Queued) {
  let jobs = 0;
  for (const targets of queued.values()) jobs += targets.size;
  if (jobs) deps.queued?.(jobs);
}

async function groupUnchanged(deps: SyncDeps, stored: StoredResource, g: TargetGroup, memberIds: string[]) {
  if (stored.data.displayName !== g.displayName) return false;
  const current = ((await membersOfGroups(deps.db, [stored.id])).get(stored.id) ?? []).map((m) => m.value);
  const want = new Set(memberIds);
  return current.length === want.size && current.every((m) => want.has(m));
}
