// The doctor's checks for a SCIM peer: reach it and authenticate, read what it supports, read its users.
import type { CheckResult } from "../target.ts";
import { ok, type ScimContext } from "./context.ts";
import { discover } from "./discovery.ts";
import { outcomeOfError } from "./outcome.ts";

export async function checkScim(ctx: ScimContext): Promise<CheckResult[]> {
  const base = ctx.config.url;
  const out: CheckResult[] = [];
  try {
    const caps = await discover(ctx.client);
    const supports = [
      caps.patch ? "PATCH" : "no PATCH (updates use PUT)",
      caps.bulk ? `Bulk (${caps.bulk.maxOperations} operations)` : "no Bulk",
      caps.userSchemas
        ? `${caps.userSchemas.size} User schema(s)`
        : "no /Schemas (attributes sent unfiltered)",
    ];
    out.push({
      check: "read the peer's ServiceProviderConfig and Schemas",
      ok: true,
      detail: supports.join(", "),
    });
  } catch (e) {
    const o = outcomeOfError(ctx.client.retry, e);
    const auth = o.status !== "done" && /^(TARGET_CREDENTIALS_REJECTED|HTTP_403)$/.test(o.code);
    out.push({
      check: "read the peer's ServiceProviderConfig and Schemas",
      ok: false,
      detail: o.status === "done" ? "" : `${o.code}: ${o.message}`,
      fix: auth
        ? "check the target's auth: the bearer token, or the client id, secret and token URL"
        : `check url (${base}): it must be the peer's SCIM base, the one /Users hangs off`,
    });
    return out;
  }
  const res = await ctx.client.request("GET", "/Users?count=1").catch((e: unknown) => e);
  if (res instanceof Error || !ok((res as { status: number }).status)) {
    const o = outcomeOfError(ctx.client.retry, res);
    const status = res instanceof Error ? undefined : (res as { status: number }).status;
    out.push({
      check: "list the peer's users",
      ok: false,
      detail: status ? `the peer answered ${status}` : o.status === "done" ? "" : o.message,
      fix: "give the token (or the OAuth client) permission to read and write users and groups",
    });
  } else {
    const total = (res as { body?: { totalResults?: unknown } }).body?.totalResults;
    out.push({
      check: "list the peer's users",
      ok: true,
      detail: `${typeof total === "number" ? total : "?"} users`,
    });
  }
  return out;
}
