// Writing the audit log: who did what to which resource, and what came of it. One writer, so every caller's
// rows carry the same columns (reading it: listAudit in console.ts).
import type { Queryable } from "./db.ts";
import type { ResourceType } from "./resources.ts";

export interface AuditRecord {
  requestId?: string | null | undefined;
  actor?: string | null | undefined;
  /** A person's IdP subject (OpenID Connect `sub`) when the actor is a person signed in through the IdP. */
  actorSubject?: string | null | undefined;
  /** The client address an operator's action came from. */
  source?: string | null | undefined;
  action: string;
  target?: string | null | undefined;
  resourceType?: ResourceType | null | undefined;
  resourceId?: string | null | undefined;
  outcome: string;
  /** Stored as JSON; never a user's attribute values or a secret. */
  detail?: unknown;
}

/** Appends events in one statement. */
export async function writeAudit(q: Queryable, events: readonly AuditRecord[]): Promise<void> {
  if (!events.length) return;
  const params: unknown[] = [];
  const tuples = events.map((e) => {
    const values = [
      e.requestId ?? null,
      e.actor ?? null,
      e.action,
      e.target ?? null,
      e.resourceType ?? null,
      e.resourceId ?? null,
      e.outcome,
      e.detail === undefined || e.detail === null ? null : JSON.stringify(e.detail),
      e.actorSubject ?? null,
      e.source ?? null,
    ];
    const [a, b, c, d, f, g, h, i, j, k] = values.map((v) => `$${params.push(v)}`);
    return `(${a}, ${b}, ${c}, ${d}, ${f}, ${g}::uuid, ${h}, ${i}::jsonb, ${j}, ${k})`;
  });
  await q.query(
    `INSERT INTO audit (request_id, actor, action, target, resource_type, resource_id, outcome, detail, actor_subject, source)
     VALUES ${tuples.join(", ")}`,
    params,
  );
}
