// Waiting for what a reconcile or import queued to be delivered (or to have failed for good), with progress.
import { openJobsSince, type Queryable } from "../../store/index.ts";

export interface DeliveryProgress {
  open: number;
  done: number;
  dead: number;
  held: number;
}

/**
 * Resolves when no job created since `mark` (for `targets`) is pending or running, or after `timeoutMs`.
 * Held deprovisions wait for an admin and dead jobs will not be retried on their own: neither is waited for.
 */
export async function waitForDelivery(
  q: Queryable,
  mark: number,
  opts: {
    targets?: string[];
    timeoutMs?: number;
    everyMs?: number;
    onProgress?: (p: DeliveryProgress) => void;
  } = {},
): Promise<DeliveryProgress & { timedOut: boolean }> {
  const until = Date.now() + (opts.timeoutMs ?? 600_000);
  for (;;) {
    const p = await openJobsSince(q, mark, opts.targets);
    opts.onProgress?.(p);
    if (p.open === 0) return { ...p, timedOut: false };
    if (Date.now() > until) return { ...p, timedOut: true };
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 200));
  }
}
