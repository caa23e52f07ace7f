// What a Salesforce user's link remembers of its last delivery (Outcome `sent`, handed back as the operation's
// `sent`): the Email Salesforce holds pending a confirmation, and the User fields as the delivery left them, so that
// the next change of a linked user is written by Id without reading the record first.
import { diffFields } from "../../mapping/index.ts";
import { SALESFORCE_FIELDS } from "./field-semantics.ts";

/**
 * Salesforce holds an Email change until the user confirms it from the new address, so the record keeps
 * showing the old one. The value sent is remembered and not sent again (nor reported as drift) while unchanged.
 */
export const PENDING_FIELDS = ["Email"] as const;

/** The key of the written User fields in `sent`: not a field name (those start with a letter). */
const SYNCED = "@synced";

/** A user's mapped fields and the operation carrying what its link remembers. */
interface Remembering {
  fields: Record<string, unknown>;
  op: { sent?: Record<string, unknown> };
}

const same = (a: unknown, b: unknown) => String(a ?? "").toLowerCase() === String(b ?? "").toLowerCase();

/** True when `field` differs only because Salesforce still holds the value the bridge sent before. */
export function isPending(plan: Remembering, field: string): boolean {
  const sent = plan.op.sent;
  return (
    (PENDING_FIELDS as readonly string[]).includes(field) &&
    sent !== undefined &&
    Object.hasOwn(sent, field) &&
    same(sent[field], plan.fields[field])
  );
}

/**
 * What the link keeps after a successful delivery of `plan`: the fields as now written, and of the fields Salesforce
 * may hold, the values this update sent (`written`; a create holds nothing back) merged into what was remembered.
 */
export function remembered(
  plan: Remembering,
  written: Record<string, unknown> = {},
): { sent: Record<string, unknown> } {
  const held = PENDING_FIELDS.filter((f) => Object.hasOwn(written, f) && written[f] !== null);
  return {
    sent: {
      ...plan.op.sent,
      ...Object.fromEntries(held.map((f) => [f, written[f]])),
      [SYNCED]: plan.fields,
    },
  };
}

/**
 * The fields that changed since the last delivery wrote them, for a linked user whose link remembers them; undefined
 * when it does not (a link made before, or by reconcile or import). IsActive is left out: an update always sends it
 * (see users.ts), as a deprovision since then is not remembered.
 */
/** The fields the last delivery wrote, as the link remembers them (the values before an unread update). */
export function lastSynced(plan: Remembering): Record<string, unknown> | undefined {
  const synced = plan.op.sent?.[SYNCED];
  return synced && typeof synced === "object" ? (synced as Record<string, unknown>) : undefined;
}

export function changedSinceSynced(plan: Remembering): string[] | undefined {
  const synced = plan.op.sent?.[SYNCED];
  if (!synced || typeof synced !== "object") return undefined;
  return diffFields(plan.fields, synced as Record<string, unknown>, SALESFORCE_FIELDS).filter(
    (f) => f !== "IsActive" && !isPending(plan, f),
  );
}
