// Sending planned writes: one call each, or as Bulk requests (RFC 7644 §3.7) when the peer has Bulk, cut by
// its maxOperations and maxPayloadSize. A Bulk answer is matched to its writes by bulkId, else by position.

import { mapLimited } from "../shared/limiter.ts";
import { ok, type ScimContext, type Write, type WriteAnswer } from "./context.ts";
import type { PeerCapabilities } from "./discovery.ts";

export const BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

export async function sendOne(ctx: ScimContext, w: Write): Promise<WriteAnswer> {
  const res = await ctx.client.request(w.method, w.path, w.data);
  return {
    status: res.status,
    body: res.body,
    location: res.headers.get("location") ?? undefined,
    retryAfter: res.headers.get("retry-after"),
    text: res.text,
  };
}

/** Pure: writes cut into Bulk requests within the peer's limits (a write too large alone goes alone). */
export function bulkChunks(
  writes: readonly Write[],
  limits: NonNullable<PeerCapabilities["bulk"]>,
): number[][] {
  const chunks: number[][] = [];
  let current: number[] = [];
  let size = 200; // the envelope
  writes.forEach((w, i) => {
    const bytes = Buffer.byteLength(JSON.stringify(w)) + 40;
    if (current.length && (current.length >= limits.maxOperations || size + bytes > limits.maxPayloadSize)) {
      chunks.push(current);
      current = [];
      size = 200;
    }
    current.push(i);
    size += bytes;
  });
  if (current.length) chunks.push(current);
  return chunks;
}

interface BulkResult {
  bulkId?: unknown;
  status?: unknown;
  location?: unknown;
  response?: unknown;
}

/**
 * Pure: the answers of one Bulk response, one per write sent, in order. An answer without a bulkId (RFC 7644 only
 * requires it for POST) is taken by position only when it is plainly that write's (no bulkId, same method, and its
 * location, if any, names the write's path): the RFC lets a peer answer in any order, and another write's success
 * must never be taken for this one's (a deactivation recorded as done that never happened).
 */
export function bulkAnswers(writes: readonly Pick<Write, "method" | "path">[], body: unknown): WriteAnswer[] {
  const listed = ((body ?? {}) as { Operations?: unknown }).Operations;
  const results = (Array.isArray(listed) ? listed : []) as BulkResult[];
  const byId = new Map<string, BulkResult>();
  for (const r of results) if (typeof r.bulkId === "string") byId.set(r.bulkId, r);
  const plainlyFor = (r: BulkResult | undefined, w: Pick<Write, "method" | "path">) =>
    r !== undefined &&
    r.bulkId === undefined &&
    (typeof (r as { method?: unknown }).method !== "string" ||
      String((r as { method?: unknown }).method).toUpperCase() === w.method) &&
    (typeof r.location !== "string" || r.location.endsWith(w.path));
  return writes.map((w, i) => {
    const r = byId.get(`w${i}`) ?? (plainlyFor(results[i], w) ? results[i] : undefined);
    // An operation the peer did not answer (it stopped at failOnErrors, or a short answer) is tried again.
    if (!r) return { status: 503, body: { detail: "the peer's Bulk answer left this operation out" } };
    const status = Number.parseInt(String((r.status as { code?: unknown })?.code ?? r.status), 10);
    return {
      status: Number.isFinite(status) ? status : 502,
      body: r.response,
      ...(typeof r.location === "string" ? { location: r.location } : {}),
    };
  });
}

const BULK_UNUSABLE = new Set([404, 405, 413, 501]);

/** Sends the writes, in Bulk requests when the peer has Bulk and there is more than one. */
export async function sendAll(ctx: ScimContext, writes: readonly Write[]): Promise<WriteAnswer[]> {
  const caps = await ctx.capabilities();
  const concurrency = ctx.config.concurrency;
  if (!caps.bulk || !ctx.config.policies.bulk || writes.length < 2)
    return mapLimited(writes, concurrency, (w) => sendOne(ctx, w));
  const out = new Array<WriteAnswer>(writes.length);
  const limits = caps.bulk;
  await mapLimited(bulkChunks(writes, limits), concurrency, async (chunk) => {
    const Operations = chunk.map((i, n) => {
      const w = writes[i]!;
      return {
        method: w.method,
        bulkId: `w${n}`,
        path: w.path,
        ...(w.data === undefined ? {} : { data: w.data }),
      };
    });
    const res = await ctx.client.request("POST", "/Bulk", { schemas: [BULK_REQUEST], Operations });
    if (BULK_UNUSABLE.has(res.status)) {
      // Advertised but refused as a whole (too large, or not there after all): one call per write.
      const alone = await mapLimited(chunk, concurrency, (i) => sendOne(ctx, writes[i]!));
      chunk.forEach((i, n) => {
        out[i] = alone[n]!;
      });
      return;
    }
    const answers = ok(res.status)
      ? bulkAnswers(
          chunk.map((i) => writes[i]!),
          res.body,
        )
      : // The whole request was refused (429, 413, 5xx): every write in it gets that answer.
        chunk.map(() => ({
          status: res.status,
          body: res.body,
          retryAfter: res.headers.get("retry-after"),
          text: res.text,
        }));
    chunk.forEach((i, n) => {
      out[i] = answers[n]!;
    });
  });
  return out;
}
