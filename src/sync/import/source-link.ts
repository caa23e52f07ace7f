// An imported resource is already in its source target: inside the write's own transaction, the job the outbox
// writer queued for the source is dropped and the link to the account written, so the import never writes
// back into the account it was read from (and cannot race the dispatcher to do so).
import type { Directory, WriteContext } from "../../directory/index.ts";
import { dropJobsQueuedNow, recordLinks } from "../../store/index.ts";

const sources = new WeakMap<WriteContext, { target: string; targetId: string }>();
const wired = new WeakSet<Directory>();

/** A write context whose write comes from `targetId` in `target`. */
export function importContext(
  directory: Directory,
  target: string,
  targetId: string,
  requestId: string,
): WriteContext {
  if (!wired.has(directory)) {
    wired.add(directory);
    directory.onChange(async (tx, change) => {
      const src = sources.get(change.ctx);
      if (!src || change.action === "delete") return;
      await dropJobsQueuedNow(tx, src.target, change.id);
      await recordLinks(tx, src.target, [
        { resourceType: change.type, resourceId: change.id, targetId: src.targetId, state: "synced" },
      ]);
      change.ctx.queued?.get(change.id)?.delete(src.target);
    });
  }
  const ctx: WriteContext = { requestId, actor: `import:${target}` };
  sources.set(ctx, { target, targetId });
  return ctx;
}
