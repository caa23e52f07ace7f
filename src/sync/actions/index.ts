// sync/actions: every operator action, one function each, used by the console and the admin API alike. Each checks
// the actor's role and writes its own audit row (who, from where, what, on which resources and targets, outcome).
//
//   retryJob, retryAll, retryResource, releaseHeld      — queued work (jobs.ts)
//   provisionNow, startReconcile, startImport           — sending work to a target (runs.ts)
//   acknowledgeFailure                                  — leave a failure, with a note (failures.ts)
//   mayAct(role, action)                                — what a role may do (the console hides the rest)

export {
  ACTION_ROLES,
  type Actor,
  mayAct,
  type OperatorAction,
  ROLES,
  type Role,
  roleAtLeast,
} from "./actor.ts";
export { acknowledgeFailure, NOTE_MAX } from "./failures.ts";
export { releaseHeld, retryAll, retryJob, retryResource } from "./jobs.ts";
export { nameOf, provisionNow, type Started, startImport, startReconcile } from "./runs.ts";
export type { ActionDeps } from "./types.ts";
