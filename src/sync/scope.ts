// A target's scope is a SCIM filter on the user, evaluated by the store (the same compiler as GET /Users?filter=).

import { type Queryable, type ResourceSchema, usersMatching } from "../store/index.ts";
import type { ConfiguredTarget } from "./configured-target.ts";

/** Which of `ids` are users in the target's scope; `userSchema` is the User schema set the scope may name. */
export function usersInScope(
  q: Queryable,
  userSchema: ResourceSchema,
  t: Pick<ConfiguredTarget, "scope">,
  ids: string[],
): Promise<Set<string>> {
  return usersMatching(q, userSchema, t.scope, ids);
}
