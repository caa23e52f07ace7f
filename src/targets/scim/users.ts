// Users on the peer: create = find by `userName eq`, link if found, else POST; update = read, then PATCH what
// differs (PUT of the merged user when the peer has no PATCH); deprovision = active=false, or DELETE by policy.
import type { DesiredUser, TargetAccount } from "../target.ts";
import {
  answerOutcome,
  createdId,
  findOne,
  getResource,
  goneMeanwhile,
  LIST_RESPONSE,
  ok,
  PATCH_OP,
  type Plan,
  refused,
  type ScimContext,
  type ScimResource,
} from "./context.ts";
import { managedPaths, managerOf, peerUser, replaced, userChanges } from "./mapping.ts";

export async function desiredBody(ctx: ScimContext, user: DesiredUser) {
  const manager = managerOf(user);
  const peerManagerId = manager ? await ctx.resolveLink?.(manager) : undefined;
  return peerUser(user, ctx.config.mapping, await ctx.capabilities(), peerManagerId);
}

export async function planUserUpsert(ctx: ScimContext, user: DesiredUser, targetId?: string): Promise<Plan> {
  const body = await desiredBody(ctx, user);
  const userName = String(user.data.userName ?? "");
  // A linked account deleted on the peer behind our back is created again.
  const current =
    (targetId ? await getResource(ctx, `/Users/${encodeURIComponent(targetId)}`) : undefined) ??
    (await findOne(ctx, "/Users", "userName", userName));
  if (!current) {
    return {
      write: { method: "POST", path: "/Users", data: body },
      meaning: (a) => {
        const id = ok(a.status) ? createdId(a) : undefined;
        if (id) return { status: "done", targetId: id };
        if (ok(a.status))
          return {
            status: "retry",
            code: "SCIM_BAD_ANSWER",
            message: "the peer created the user but named no id",
          };
        // A concurrent create (or one whose answer was lost) won: the next attempt finds it and links it.
        if (a.status === 409)
          return {
            ...answerOutcome(ctx, a),
            status: "retry" as const,
            message: `${userName} exists already; linking it`,
          };
        return answerOutcome(ctx, a);
      },
    };
  }
  return planUpdate(ctx, current, body, () => planUserUpsert(ctx, user));
}

async function planUpdate(
  ctx: ScimContext,
  current: ScimResource,
  body: Record<string, unknown>,
  unlinked: () => Promise<Plan>,
): Promise<Plan> {
  const changes = userChanges(body, current, managedPaths(ctx.config.mapping));
  if (body.password !== undefined) changes.push({ op: "replace", path: "password", value: body.password });
  const done = { status: "done" as const, targetId: current.id };
  if (!changes.length) return { outcome: { ...done, detail: "already as wanted" } };
  const path = `/Users/${encodeURIComponent(current.id)}`;
  const data = (await ctx.capabilities()).patch
    ? { schemas: [PATCH_OP], Operations: changes }
    : replaced(current, body, changes);
  return {
    write: { method: (await ctx.capabilities()).patch ? "PATCH" : "PUT", path, data },
    meaning: (a) => (ok(a.status) ? done : a.status === 404 ? goneMeanwhile("user") : answerOutcome(ctx, a)),
    unlinked,
  };
}

export async function planUserDeprovision(
  ctx: ScimContext,
  linked: string | undefined,
  userName?: string,
): Promise<Plan> {
  // Without a link (a create whose answer was lost) the user is found by userName.
  const targetId =
    linked ?? (userName ? (await findOne(ctx, "/Users", "userName", userName))?.id : undefined);
  if (!targetId) return { outcome: { status: "done", detail: "not on the peer; nothing to deprovision" } };
  const path = `/Users/${encodeURIComponent(targetId)}`;
  // Already gone is what deprovisioning wants.
  const meaning = (a: { status: number; body: unknown }) =>
    ok(a.status) || a.status === 404 ? { status: "done" as const, targetId } : answerOutcome(ctx, a);
  if (ctx.config.policies.deprovision === "delete") return { write: { method: "DELETE", path }, meaning };
  if ((await ctx.capabilities()).patch) {
    const data = { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: false }] };
    return { write: { method: "PATCH", path, data }, meaning };
  }
  const current = await getResource(ctx, path);
  if (!current) return { outcome: { status: "done", targetId, detail: "not on the peer" } };
  if (current.active === false) return { outcome: { status: "done", targetId, detail: "already inactive" } };
  const data = replaced(current, {}, [{ op: "replace", path: "active", value: false }]);
  return { write: { method: "PUT", path, data }, meaning };
}

/** Pages of a SCIM list endpoint, by startIndex (RFC 7644 §3.4.2.4). */
export async function* listPages(
  ctx: ScimContext,
  endpoint: "/Users" | "/Groups",
  pageSize = 100,
): AsyncIterable<ScimResource[]> {
  for (let start = 1; ; ) {
    const res = await ctx.client.request("GET", `${endpoint}?startIndex=${start}&count=${pageSize}`);
    if (!ok(res.status)) throw refused(ctx, res);
    const body = (res.body ?? {}) as { schemas?: unknown; Resources?: unknown; totalResults?: unknown };
    if (Array.isArray(body.schemas) && !body.schemas.includes(LIST_RESPONSE))
      ctx.log?.debug({ target: ctx.config.name }, "list answer without the ListResponse schema");
    const page = (Array.isArray(body.Resources) ? body.Resources : []) as ScimResource[];
    if (page.length) yield page;
    start += page.length;
    const total = typeof body.totalResults === "number" ? body.totalResults : 0;
    if (!page.length || start > total) return;
  }
}

export async function* listUsers(ctx: ScimContext): AsyncIterable<TargetAccount[]> {
  for await (const page of listPages(ctx, "/Users")) {
    yield page.map((u) => ({
      targetId: u.id,
      key: String(u.userName ?? ""),
      active: u.active !== false,
      fields: u,
    }));
  }
}
