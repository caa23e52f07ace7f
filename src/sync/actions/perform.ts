// Runs one operator action and writes its one audit row: who, from where, what, on which resources and targets, and
// the outcome (ok, refused with the reason, failed with the message). No door writes an action's row itself.
import { BridgeError } from "../../errors.ts";
import { type Db, type ResourceType, writeAudit } from "../../store/index.ts";
import { ACTION_ROLES, type Actor, type OperatorAction, roleAtLeast } from "./actor.ts";

export interface ActionSubject {
  target?: string | undefined;
  resourceType?: ResourceType | undefined;
  resourceId?: string | undefined;
}

/** What an action's body reports: its value, and what the audit row says about it. */
export interface Done<T> {
  value: T;
  /** "refused" when the action had nothing it could do (e.g. the job was no longer failed). */
  outcome?: "ok" | "refused";
  message?: string;
  detail?: Record<string, unknown>;
  /** Filled in by the body when only it knows (e.g. the target of a retried job). */
  subject?: ActionSubject;
}

async function record(
  db: Db,
  actor: Actor,
  action: OperatorAction,
  subject: ActionSubject,
  outcome: "ok" | "refused" | "failed",
  detail: Record<string, unknown>,
) {
  await writeAudit(db, [
    {
      requestId: actor.requestId,
      actor: actor.name,
      actorSubject: actor.subject,
      source: actor.source,
      action,
      target: subject.target,
      resourceType: subject.resourceType,
      resourceId: subject.resourceId,
      outcome,
      detail: {
        door: actor.door,
        role: actor.role,
        ...(actor.email ? { email: actor.email } : {}),
        ...detail,
      },
    },
  ]);
}

/** Refuses (and records) an action the actor's role does not allow: 403 naming the role needed. */
export async function authorize(db: Db, actor: Actor, action: OperatorAction, subject: ActionSubject) {
  const need = ACTION_ROLES[action];
  if (roleAtLeast(actor.role, need)) return;
  const message = `${action.replace("operator.", "")} needs the role ${need}; ${actor.name} has the role ${actor.role}`;
  await record(db, actor, action, subject, "refused", { message });
  throw new BridgeError("SCIM_FORBIDDEN", message);
}

/** Runs `body` (after `authorize`, which the caller did) and records its outcome. */
export async function recorded<T>(
  db: Db,
  actor: Actor,
  action: OperatorAction,
  subject: ActionSubject,
  body: () => Promise<Done<T>>,
): Promise<Done<T>> {
  let done: Done<T>;
  try {
    done = await body();
  } catch (e) {
    // A BridgeError below 500 is the action refusing bad input; anything else is a failure.
    const refused = e instanceof BridgeError && e.status < 500;
    const message = e instanceof BridgeError ? e.message : `${(e as Error)?.message ?? e}`;
    await record(db, actor, action, subject, refused ? "refused" : "failed", { message });
    throw e;
  }
  await record(db, actor, action, { ...subject, ...done.subject }, done.outcome ?? "ok", {
    ...(done.message ? { message: done.message } : {}),
    ...done.detail,
  });
  return done;
}

/** authorize + recorded: the whole of a short action. */
export async function perform<T>(
  db: Db,
  actor: Actor,
  action: OperatorAction,
  subject: ActionSubject,
  body: () => Promise<Done<T>>,
): Promise<Done<T>> {
  await authorize(db, actor, action, subject);
  return recorded(db, actor, action, subject, body);
}
