// Acknowledging a failure an admin decides to leave (a user a target refuses for good, say): with a note, audited
// as operator.acknowledge (sync/actions); the failure leaves "Failed & held" and its counts until the user fails
// there again.
import type { Response, Router } from "express";
import { BridgeError } from "../../errors.ts";
import { acknowledgeFailure, NOTE_MAX } from "../../sync/actions/index.ts";
import { type ConsoleDeps, param } from "./context.ts";
import { csrfField, type Html, html } from "./html.ts";
import { consoleActor } from "./session.ts";

type Deps = ConsoleDeps & { flash(res: Response, m: string): Promise<void> };

/** The form a failed row's note field and Acknowledge button belong to (placed outside the retry form). */
export function acknowledgeForm(jobId: number, csrf: string): Html {
  return html`<form method="post" action="/console/work/acknowledge" id="ack-${jobId}" hidden>${csrfField(csrf)}<input type="hidden" name="job" value="${jobId}"></form>`;
}

/** The note field and Acknowledge button of one failed row. */
export function acknowledgeControls(jobId: number, person: string): Html {
  return html`<span class="field"><label for="ack-note-${jobId}" class="visually-hidden">Note for ${person}</label><input id="ack-note-${jobId}" name="note" form="ack-${jobId}" required maxlength="${NOTE_MAX}" placeholder="why leave it" size="12"></span>
<button type="submit" form="ack-${jobId}" class="secondary" aria-label="Acknowledge the failure of ${person}">Acknowledge</button>`;
}

export function failureRoutes(router: Router, deps: Deps) {
  router.post("/work/acknowledge", async (req, res) => {
    const id = Number(param(req, "job", "body"));
    if (!Number.isSafeInteger(id)) throw new BridgeError("SCIM_INVALID_VALUE", "job must be a job id");
    const note = (req.body as { note?: unknown }).note;
    if (note !== undefined && typeof note !== "string")
      throw new BridgeError("SCIM_INVALID_VALUE", "note must be given once, as text");
    const acked = (await acknowledgeFailure(deps.sync, consoleActor(req, res), id, note ?? "")).value;
    await deps.flash(
      res,
      acked
        ? `Failure acknowledged: it leaves the list until it fails again in ${acked.target}.`
        : `Job ${id} is no longer failed (retried or acknowledged already?).`,
    );
    res.redirect(303, "/console/work");
  });
}
