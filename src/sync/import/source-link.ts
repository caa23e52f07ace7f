// An imported resource is already in its source target: the write's context names the account it came from, and the
// outbox writer, planning the write, queues nothing there for it and links it to that account in the write's own
// transaction, so the import never writes back into the account it was read from (and cannot race the dispatcher to).
import type { WriteContext } from "../../directory/index.ts";

/** A write context whose write comes from `targetId` in `target`. */
export function importContext(target: string, targetId: string, requestId: string): WriteContext {
  return { requestId, actor: `import:${target}`, source: { target, targetId } };
}
