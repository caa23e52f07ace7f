// Reconciling one target's groups: linked groups compare name and members (as target ids of linked members);
// unlinked ones correlate by display name; the store side is walked for gone and missing groups as for users.
import {
  getResources,
  linkedIdsOf,
  linkedPage,
  memberTargetIds,
  NIL_UUID,
  resourcesByKeys,
  STORE_PAGE,
  unlinkedPage,
} from "../../store/index.ts";
import { handlesGroups } from "../../targets/target.ts";
import type { ConfiguredTarget, SyncDeps } from "./types.ts";
import type { Sink } from "./users.ts";

const sameSet = (a: string[], b: string[]) => {
  const x = new Set(a);
  return x.size === new Set(b).size && b.every((v) => x.has(v));
};

export async function reconcileGroups(deps: SyncDeps, t: ConfiguredTarget, sink: Sink) {
  const target = t.target;
  if (!handlesGroups(target)) return;
  const { db } = deps;
  const seen = new Set<string>();
  const matched = new Set<string>();
  const base = { target: t.name, type: "Group" as const };

  for await (const page of target.listGroups()) {
    for (const g of page) seen.add(g.targetId);
    sink.page("groups", seen.size);
    const links = await linkedIdsOf(
      db,
      t.name,
      "Group",
      page.map((g) => g.targetId),
    );
    const ids = [...links.values()];
    const groups = new Map((await getResources(db, "Group", ids)).map((g) => [g.id, g]));
    const members = await memberTargetIds(db, t.name, ids);
    const matches = await resourcesByKeys(
      db,
      "Group",
      t.name,
      page.filter((g) => !links.has(g.targetId)).map((g) => g.displayName),
    );
    for (const g of page) {
      const at = { ...base, key: g.displayName, targetId: g.targetId };
      const scimId = links.get(g.targetId);
      if (scimId) {
        const stored = groups.get(scimId);
        if (!stored) {
          sink.item({
            ...at,
            scimId,
            status: "drifted",
            fields: ["deleted"],
            repair: "deprovision",
            note: "deleted in the store",
          });
          await sink.repair({ type: "Group", resourceId: scimId, action: "deprovision" });
          continue;
        }
        const fields: string[] = [];
        if (String(stored.data.displayName).toLowerCase() !== g.displayName.toLowerCase())
          fields.push("displayName");
        if (g.memberTargetIds && !sameSet(members.get(scimId) ?? [], g.memberTargetIds))
          fields.push("members");
        sink.item({
          ...at,
          scimId,
          status: fields.length ? "drifted" : "in-sync",
          repair: fields.length ? "provision" : "none",
          ...(fields.length ? { fields } : {}),
        });
        if (fields.length) await sink.repair({ type: "Group", resourceId: scimId, action: "provision" });
        continue;
      }
      const m = matches.get(g.displayName.toLowerCase());
      if (m && !m.linkedTo && !matched.has(m.id)) {
        matched.add(m.id);
        sink.item({ ...at, scimId: m.id, status: "found-unlinked", repair: "link+provision" });
        await sink.repair({ type: "Group", resourceId: m.id, action: "provision", linkTo: g.targetId });
      } else sink.item({ ...at, status: "unmanaged", repair: "none" });
    }
  }

  for (let after = NIL_UUID; ; ) {
    const rows = await linkedPage(db, t.name, "Group", after, STORE_PAGE);
    if (!rows.length) break;
    after = rows.at(-1)!.resourceId;
    for (const r of rows.filter((x) => !seen.has(x.targetId))) {
      const repair = r.exists ? "relink+provision" : "none";
      sink.item({
        ...base,
        key: r.key ?? r.resourceId,
        scimId: r.resourceId,
        targetId: r.targetId,
        status: "gone",
        repair,
      });
      if (!r.exists) continue;
      matched.add(r.resourceId);
      await sink.repair({ type: "Group", resourceId: r.resourceId, action: "provision", unlink: true });
    }
  }
  for (let after = NIL_UUID; ; ) {
    const rows = await unlinkedPage(db, t.name, "Group", after, STORE_PAGE);
    if (!rows.length) break;
    after = rows.at(-1)!.id;
    for (const r of rows.filter((x) => !matched.has(x.id))) {
      sink.item({ ...base, key: r.key, scimId: r.id, status: "missing", repair: "provision" });
      await sink.repair({ type: "Group", resourceId: r.id, action: "provision" });
    }
  }
}
