// A target's scope is a SCIM filter on the user, evaluated in SQL (the same compiler as GET /Users?filter=).

import { compileFilter } from "../store/filter/index.ts";
import type { Queryable } from "../store/index.ts";
import type { ConfiguredTarget } from "./configured-target.ts";

export async function usersInScope(
  q: Queryable,
  t: Pick<ConfiguredTarget, "scope">,
  ids: string[],
): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const params: unknown[] = [ids];
  const where = t.scope ? ` AND (${compileFilter("User", t.scope, params, "t")})` : "";
  const { rows } = await q.query<{ id: string }>(
    `SELECT t.id FROM users t WHERE t.id = ANY($1::uuid[])${where}`,
    params,
  );
  return new Set(rows.map((r) => r.id));
}
