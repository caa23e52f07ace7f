// What the operation modules share: the client, the settings, the peer's capabilities, and the write plan
// each operation turns into (a write the target sends alone or in a Bulk request, then what its answer means).
import type { Logger } from "pino";
import { vendorCode } from "../codes.ts";
import type { Outcome } from "../target.ts";
import type { PeerResponse, ScimClient } from "./client.ts";
import type { ScimTargetConfig } from "./config.ts";
import type { PeerCapabilities } from "./discovery.ts";
import { classifyPeerAnswer, PeerRefused } from "./outcome.ts";

export const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
export const LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

export interface ScimContext {
  client: ScimClient;
  config: ScimTargetConfig;
  capabilities(): Promise<PeerCapabilities>;
  /** The peer's id of another SCIM resource of this target (a user's manager), when it is linked. */
  resolveLink?: (scimId: string) => Promise<string | undefined>;
  log?: Logger;
}

export interface Write {
  method: "POST" | "PUT" | "PATCH" | "DELETE";
  /** Relative to the base URL: /Users, /Groups/<id>. */
  path: string;
  data?: unknown;
}

/** A write's answer, from its own call or from its entry in a Bulk response. */
export interface WriteAnswer {
  status: number;
  body: unknown;
  location?: string;
  retryAfter?: string | null;
  text?: string;
}

export type Plan = { outcome: Outcome } | WritePlan;

export interface WritePlan {
  write: Write;
  meaning(answer: WriteAnswer): Outcome;
  /**
   * An update's operation planned again without its link, for when the peer answers 404: the resource was deleted
   * there between the read and the write, so it is found by its key or created again (`meaning` takes a second 404).
   */
  unlinked?(): Promise<Plan>;
}

/** A second 404 on an update: the next attempt finds the resource by its key or creates it again. */
export const goneMeanwhile = (what: "user" | "group"): Outcome => ({
  status: "retry",
  code: vendorCode("HTTP_404"),
  message: `the ${what} was deleted on the peer meanwhile; it is created again on the next attempt`,
});

export const ok = (status: number) => status >= 200 && status < 300;

export type ScimResource = Record<string, unknown> & { id: string };

/** A resource by id, or undefined when the peer no longer has it. */
export async function getResource(ctx: ScimContext, path: string): Promise<ScimResource | undefined> {
  const res = await ctx.client.request("GET", path);
  if (res.status === 404) return undefined;
  return asResource(ctx, res, path);
}

function asResource(ctx: ScimContext, res: PeerResponse, what: string): ScimResource {
  if (!ok(res.status)) throw refused(ctx, res);
  const body = res.body as Partial<ScimResource> | undefined;
  if (!body || typeof body.id !== "string")
    throw new PeerRefused({
      status: "retry",
      code: "SCIM_BAD_ANSWER",
      message: `${what}: the answer has no id`,
    });
  return body as ScimResource;
}

export const refused = (ctx: Pick<ScimContext, "client">, res: PeerResponse) =>
  new PeerRefused(
    classifyPeerAnswer(ctx.client.retry, res.status, res.body, res.headers.get("retry-after"), res.text),
  );

/** The one resource whose `attribute` equals `value` (a SCIM filter, the value as a JSON string). */
export async function findOne(
  ctx: ScimContext,
  endpoint: "/Users" | "/Groups",
  attribute: string,
  value: string,
): Promise<ScimResource | undefined> {
  const filter = `${attribute} eq ${JSON.stringify(value)}`;
  const res = await ctx.client.request("GET", `${endpoint}?filter=${encodeURIComponent(filter)}`);
  if (!ok(res.status)) throw refused(ctx, res);
  const list = (res.body as { Resources?: unknown })?.Resources;
  const found = (Array.isArray(list) ? list : []) as ScimResource[];
  // Some peers filter loosely (contains, or ignore the filter); only an exact match correlates.
  const want = value.toLowerCase();
  return found.find((r) => typeof r.id === "string" && String(r[attribute] ?? "").toLowerCase() === want);
}

/** The id of a created resource: the body's id, else the last segment of its Location. */
export function createdId(answer: WriteAnswer): string | undefined {
  const id = (answer.body as { id?: unknown } | undefined)?.id;
  if (typeof id === "string" && id) return id;
  const loc = answer.location;
  if (!loc) return undefined;
  const last = loc.replace(/\/+$/, "").split("/").pop();
  return last ? decodeURIComponent(last) : undefined;
}

export const answerOutcome = (ctx: Pick<ScimContext, "client">, a: WriteAnswer) =>
  classifyPeerAnswer(ctx.client.retry, a.status, a.body, a.retryAfter, a.text ?? "");
