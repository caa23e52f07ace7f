// Acknowledging a failure an admin decides to leave: with a note, it leaves the failed list and its counts until
// the person fails there again (store/failures.ts). Audited like every operator action (perform.ts).
import { BridgeError, excerpt } from "../../errors.ts";
import { acknowledgeFailure as acknowledge } from "../../store/index.ts";
import type { Actor } from "./actor.ts";
import { perform } from "./perform.ts";
import type { ActionDeps } from "./types.ts";

export const NOTE_MAX = 500;

/** Acknowledges failed job `id`'s current failure; refused (and recorded) when it is not failed any more. */
export async function acknowledgeFailure(
  deps: Pick<ActionDeps, "db">,
  actor: Actor,
  id: number,
  note: string,
) {
  return perform(deps.db, actor, "operator.acknowledge", {}, async () => {
    const text = note.trim();
    if (!text)
      throw new BridgeError("SCIM_INVALID_VALUE", "note is required: say why this failure is left as it is");
    if (text.length > NOTE_MAX)
      throw new BridgeError("SCIM_INVALID_VALUE", `note must be at most ${NOTE_MAX} characters`);
    const acked = await acknowledge(deps.db, id, text, actor.name);
    return {
      value: acked,
      outcome: acked ? "ok" : "refused",
      ...(acked
        ? {}
        : { message: `Job ${excerpt(String(id))} is not failed, or its failure is acknowledged already` }),
      detail: { job: id, ...(acked ? { code: acked.errorCode } : {}), note: text },
      ...(acked
        ? {
            subject: { target: acked.target, resourceType: acked.resourceType, resourceId: acked.resourceId },
          }
        : {}),
    };
  });
}
