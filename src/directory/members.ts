// A group's members as rows: references checked, and a change made as the rows it touches (a 50,000-member group's
// PATCH adds or removes only the members it names).
import { BridgeError } from "../errors.ts";
import {
  addMembers,
  existingIds,
  type Member,
  membersOfGroups,
  type Queryable,
  removeMembers,
} from "../store/index.ts";
import type { UpdateRequest } from "./types.ts";

/** Validates member references exist; returns them with their real types. */
export async function resolveMembers(tx: Queryable, members: Member[], groupId?: string): Promise<Member[]> {
  if (!members.length) return [];
  if (groupId && members.some((m) => m.value === groupId)) {
    throw new BridgeError("SCIM_INVALID_VALUE", `Group ${groupId} cannot be a member of itself`);
  }
  const ids = members.map((m) => m.value);
  const users = await existingIds(tx, "User", ids);
  const groups = users.size === ids.length ? new Set<string>() : await existingIds(tx, "Group", ids);
  const missing = ids.filter((id) => !users.has(id) && !groups.has(id));
  if (missing.length) {
    throw new BridgeError(
      "SCIM_INVALID_VALUE",
      `Group members must be existing Users or Groups; not found: ${missing.slice(0, 10).join(", ")}${missing.length > 10 ? ` and ${missing.length - 10} more` : ""}`,
    );
  }
  return members.map((m) => ({ value: m.value, type: users.has(m.value) ? "User" : "Group" }));
}

/** A new group's members, added: the ids added. */
export async function addInitialMembers(
  tx: Queryable,
  groupId: string,
  members: Member[],
): Promise<string[]> {
  return addMembers(tx, groupId, await resolveMembers(tx, members));
}

/**
 * The group's members changed as `change` asks, inside the locked write: to the full list (PUT) or by a delta
 * (PATCH). The ids actually added and removed.
 */
export async function changeMembers(
  tx: Queryable,
  id: string,
  change: UpdateRequest,
): Promise<{ added: string[]; removed: string[] }> {
  let added: string[] = [];
  let removed: string[] = [];
  if (change.members) {
    const wanted = await resolveMembers(tx, change.members, id);
    const current = (await membersOfGroups(tx, [id])).get(id) ?? [];
    const wantedIds = new Set(wanted.map((m) => m.value));
    const currentIds = new Set(current.map((m) => m.value));
    removed = await removeMembers(
      tx,
      id,
      current.filter((m) => !wantedIds.has(m.value)).map((m) => m.value),
    );
    added = await addMembers(
      tx,
      id,
      wanted.filter((m) => !currentIds.has(m.value)),
    );
    return { added, removed };
  }
  if (change.removeMembers) {
    removed = await removeMembers(tx, id, change.removeMembers === "all" ? undefined : change.removeMembers);
  }
  if (change.addMembers?.length) {
    added = await addMembers(tx, id, await resolveMembers(tx, change.addMembers, id));
    // A member removed and added back in one request did not change.
    const back = new Set(added);
    removed = removed.filter((m) => !back.has(m));
  }
  return { added, removed };
}
