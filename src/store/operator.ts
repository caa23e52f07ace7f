// What an operator action needs to say in its audit row about the job it touches.
import type { Queryable } from "./db.ts";
import type { ResourceType } from "./resources.ts";

export interface JobSubject {
  id: number;
  target: string;
  resourceType: ResourceType;
  resourceId: string;
  state: string;
}

export async function jobSubject(q: Queryable, id: number): Promise<JobSubject | undefined> {
  const { rows } = await q.query<JobSubject & { id: number | string }>(
    `SELECT id, target, resource_type AS "resourceType", resource_id AS "resourceId", state FROM outbox WHERE id = $1`,
    [id],
  );
  const r = rows[0];
  return r ? { ...r, id: Number(r.id) } : undefined;
}
