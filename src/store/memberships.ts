// Group membership as rows: changing one member of a 50,000-member group touches one row.
import { prepared, type Queryable } from "./db.ts";
import type { ResourceType } from "./resources.ts";

export interface Member {
  value: string;
  type: ResourceType;
  display?: string;
}

/** Inserts members that are not there yet; returns the ids actually added. */
export async function addMembers(q: Queryable, groupId: string, members: Member[]): Promise<string[]> {
  if (!members.length) return [];
  const { rows } = await q.query<{ member_id: string }>(
    prepared(`INSERT INTO group_members (group_id, member_id, member_type)
     SELECT $1, m.id, m.type FROM unnest($2::uuid[], $3::text[]) AS m(id, type)
     ON CONFLICT DO NOTHING RETURNING member_id`),
    [groupId, members.map((m) => m.value), members.map((m) => m.type)],
  );
  return rows.map((r) => r.member_id);
}

/** Removes the given members (or all when `ids` is undefined); returns the ids actually removed. */
export async function removeMembers(q: Queryable, groupId: string, ids?: string[]): Promise<string[]> {
  const { rows } = ids
    ? await q.query<{ member_id: string }>(
        prepared(
          "DELETE FROM group_members WHERE group_id = $1 AND member_id = ANY($2::uuid[]) RETURNING member_id",
        ),
        [groupId, ids],
      )
    : await q.query<{ member_id: string }>(
        prepared("DELETE FROM group_members WHERE group_id = $1 RETURNING member_id"),
        [groupId],
      );
  return rows.map((r) => r.member_id);
}

/** Members of one group, with the display name of each (user displayName or userName; group displayName). */
export async function listMembers(q: Queryable, groupId: string): Promise<Member[]> {
  return (await membersOfGroups(q, [groupId])).get(groupId) ?? [];
}

/** Direct groups of each user, for the read-only `groups` attribute of many users in one query. */
export async function groupsOf(
  q: Queryable,
  memberIds: string[],
): Promise<Map<string, { value: string; display: string }[]>> {
  const out = new Map<string, { value: string; display: string }[]>();
  if (!memberIds.length) return out;
  const { rows } = await q.query<{ member_id: string; group_id: string; display_name: string }>(
    prepared(`SELECT m.member_id, m.group_id, g.display_name FROM group_members m JOIN groups g ON g.id = m.group_id
      WHERE m.member_id = ANY($1::uuid[]) ORDER BY g.display_name`),
    [memberIds],
  );
  for (const r of rows) {
    const list = out.get(r.member_id) ?? [];
    list.push({ value: r.group_id, display: r.display_name });
    out.set(r.member_id, list);
  }
  return out;
}

/** Members of many groups at once (a page of groups in one query). */
export async function membersOfGroups(q: Queryable, groupIds: string[]): Promise<Map<string, Member[]>> {
  const out = new Map<string, Member[]>();
  if (!groupIds.length) return out;
  const { rows } = await q.query<{
    group_id: string;
    member_id: string;
    member_type: ResourceType;
    display: string;
  }>(
    prepared(`SELECT m.group_id, m.member_id, m.member_type, COALESCE(u.display_name, u.user_name, g.display_name) AS display
       FROM group_members m
       LEFT JOIN users u ON m.member_type = 'User' AND u.id = m.member_id
       LEFT JOIN groups g ON m.member_type = 'Group' AND g.id = m.member_id
      WHERE m.group_id = ANY($1::uuid[]) ORDER BY m.added, m.member_id`),
    [groupIds],
  );
  for (const r of rows) {
    const list = out.get(r.group_id) ?? [];
    list.push({ value: r.member_id, type: r.member_type, ...(r.display ? { display: r.display } : {}) });
    out.set(r.group_id, list);
  }
  return out;
}
