// Failed and held work: dead jobs filtered by target and the target's error code, retried one at a time or all
// matching; deprovisions held by the circuit breaker, released selected or all, per target.
import type { Request, Response, Router } from "express";
import { BridgeError } from "../../errors.ts";
import { countFailingPeople, deadJobCodes, listDeadJobs, listJobs, queueDepth } from "../../store/index.ts";
import { releaseHeld, retryAll, retryJob } from "../../sync/actions/index.ts";
import { type ConsoleDeps, may, param, sendFragment, sendPage, session, targetParam } from "./context.ts";
import { acknowledgeControls, acknowledgeForm } from "./failures.ts";
import { csrfField, empty, type Html, html, qs, time } from "./html.ts";
import { consoleActor } from "./session.ts";
import { who } from "./who.ts";

type Deps = ConsoleDeps & { flash(res: Response, m: string): Promise<void> };
/** What this operator may do here (buttons for the rest are not shown). */
interface Can {
  csrf: string;
  retry: boolean;
  release: boolean;
  acknowledge: boolean;
}
const can = (res: Response): Can => ({
  csrf: session(res).csrf,
  retry: may(res, "operator.retry"),
  release: may(res, "operator.release"),
  acknowledge: may(res, "operator.acknowledge"),
});
const LIMIT = 100;

function filters(req: Request, deps: Deps) {
  const target = targetParam(deps, req, "target");
  const code = param(req, "code");
  return { target, code };
}

async function deadSection(deps: Deps, f: { target?: string; code?: string }, c: Can): Promise<Html> {
  const csrf = c.csrf;
  const [jobs, codes, people] = await Promise.all([
    listDeadJobs(deps.sync.db, { ...f, limit: LIMIT }),
    deadJobCodes(deps.sync.db),
    countFailingPeople(deps.sync.db, f),
  ]);
  const matching = codes
    .filter((c) => (!f.target || c.target === f.target) && (!f.code || c.code === f.code))
    .reduce((n, c) => n + c.count, 0);
  if (!jobs.length)
    return empty(
      f.target || f.code ? "No failed jobs match this filter." : "No failed jobs.",
      f.target || f.code
        ? "Clear the filter to see every failed job."
        : "Jobs land here when a target refuses a change permanently or retries run out.",
    );
  const whom = `${people} ${people === 1 ? "person" : "people"}`;
  // One row per person and target (a resource's failures in a target are kept as one, store/outbox.ts).
  return html`${
    c.retry
      ? html`<form method="post" action="/console/work/retry-all" class="actions">${csrfField(csrf)}
  <input type="hidden" name="target" value="${f.target ?? ""}"><input type="hidden" name="code" value="${f.code ?? ""}">
  <button type="submit" data-confirm="Retry all ${matching} matching failures of ${whom}?" data-retry-all>Retry all ${matching} matching (${whom})</button>
</form>`
      : html`<p class="muted">${matching} matching failures of ${whom}. Retrying needs the role operator.</p>`
  }
<form method="post" action="/console/work/retry">${csrfField(csrf)}
<div class="scroll"><table aria-label="Failed jobs">
<tr><th>person</th><th>target</th><th>action</th><th>latest error</th><th class="num">attempts</th><th>failing since</th><th>last failed</th><th class="num">job</th><th></th></tr>
${jobs.map((j) => {
  const person = j.name ?? j.resourceId;
  return html`<tr data-job="${j.id}"><td>${who(j)}</td><td>${j.target}</td>
<td>${j.action}</td><td><code data-error-code>${j.errorCode ?? "—"}</code> <span data-error-message>${j.errorMessage ?? ""}</span></td>
<td class="num" data-attempts>${j.attempts}</td><td>${time(j.created)}</td><td>${time(j.finished)}</td><td class="num">${j.id}</td>
<td>${c.retry ? html`<button type="submit" name="job" value="${j.id}" class="secondary" aria-label="Retry job ${j.id}">Retry</button>` : ""}
${c.acknowledge ? acknowledgeControls(j.id, person) : ""}</td></tr>`;
})}</table></div></form>
${c.acknowledge ? jobs.map((j) => acknowledgeForm(j.id, csrf)) : ""}
${jobs.length >= LIMIT ? html`<p class="muted">Showing the newest ${LIMIT}; "Retry all matching" covers all ${matching}.</p>` : ""}`;
}

async function heldSection(deps: Deps, only: string | undefined, c: Can): Promise<Html> {
  const csrf = c.csrf;
  const b = deps.sync.breaker;
  const why = `more than ${[b.maxCount ? `${b.maxCount} deprovisions` : "", b.maxPercent ? `${b.maxPercent}% of linked accounts` : ""].filter(Boolean).join(" or ")} in ${Math.round(b.windowMs / 60_000)} minutes`;
  const sections: Html[] = [];
  const depth = await queueDepth(deps.sync.db);
  for (const t of deps.sync.targets.filter((x) => !only || x.name === only)) {
    const total = depth.find((d) => d.target === t.name && d.state === "held")?.count ?? 0;
    if (!total) continue;
    const jobs = await listJobs(deps.sync.db, { state: "held", target: t.name, limit: LIMIT });
    sections.push(html`<section class="card" aria-labelledby="held-${t.name}">
<h3 id="held-${t.name}">${t.name}: ${total} held</h3>
<p class="muted">Held because ${t.name} was about to get ${why}. Nothing is changed in ${t.name} until you release them.</p>
<form method="post" action="/console/work/release">${csrfField(csrf)}<input type="hidden" name="target" value="${t.name}">
<div class="scroll"><table aria-label="Held deprovisions for ${t.name}">
<tr><th>${c.release ? html`<input type="checkbox" data-select-all aria-label="Select all held deprovisions for ${t.name}">` : ""}</th><th class="num">job</th><th>resource</th><th>held since</th></tr>
${jobs.map(
  (
    j,
  ) => html`<tr><td>${c.release ? html`<input type="checkbox" name="ids" value="${j.id}" id="held-${j.id}" aria-label="Select job ${j.id}">` : ""}</td>
<td class="num"><label for="held-${j.id}">${j.id}</label></td><td>${who(j)}
<a href="/console/audit${qs({ resource: j.resourceId })}" aria-label="History of ${j.resourceType} ${j.userName ?? j.displayName ?? j.resourceId}">history</a></td><td>${time(j.created)}</td></tr>`,
)}</table></div>
${total > jobs.length ? html`<p class="muted">Showing the newest ${jobs.length}; "Release all" releases all ${total}.</p>` : ""}
${
  c.release
    ? html`<p class="actions"><button type="submit" name="scope" value="selected">Release selected</button>
<button type="submit" name="scope" value="all" class="danger" data-confirm="Release all held deprovisions for ${t.name}? They will be deactivated there.">Release all for ${t.name}</button></p>`
    : html`<p class="muted">Releasing held deprovisions needs the role admin.</p>`
}
</form></section>`);
  }
  return sections.length
    ? html`${sections}`
    : empty(
        "No deprovisions are held.",
        "The circuit breaker holds deprovisions when a target is about to lose many accounts at once.",
      );
}

async function content(deps: Deps, req: Request, c: Can): Promise<Html> {
  const f = filters(req, deps);
  return html`<h2>Failed jobs</h2>${await deadSection(deps, f, c)}
<h2 id="held">Held deprovisions</h2>${await heldSection(deps, f.target, c)}`;
}

export function workRoutes(router: Router, deps: Deps) {
  router.get("/work", async (req, res) => {
    const f = filters(req, deps);
    const codes = await deadJobCodes(deps.sync.db);
    sendPage(res, {
      title: "Failed & held",
      nav: "work",
      body: html`<h1>Failed and held work</h1>
<form method="get" action="/console/work" class="filters" aria-label="Filter failed jobs">
  <span class="field"><label for="f-target">Target</label> <select id="f-target" name="target"><option value="">any</option>${deps.sync.targets.map(
    (t) => html`<option${t.name === f.target ? html` selected` : ""}>${t.name}</option>`,
  )}</select></span>
  <span class="field"><label for="f-code">Error code</label> <select id="f-code" name="code"><option value="">any</option>${[
    ...new Set(codes.map((c) => c.code)),
  ].map((c) => html`<option${c === f.code ? html` selected` : ""}>${c}</option>`)}</select></span>
  <button type="submit">Filter</button> <a href="/console/work">Clear</a>
</form>
<div data-live="/console/live/work${qs({ target: f.target, code: f.code })}" data-every="15000">${await content(deps, req, can(res))}</div>`,
    });
  });

  router.get("/live/work", async (req, res) => {
    sendFragment(res, await content(deps, req, can(res)));
  });

  router.post("/work/retry", async (req, res) => {
    const id = Number(param(req, "job", "body"));
    if (!Number.isSafeInteger(id)) throw new BridgeError("SCIM_INVALID_VALUE", "job must be a job id");
    const done = await retryJob(deps.sync, consoleActor(req, res), id);
    await deps.flash(
      res,
      done.value
        ? `Job ${id} is queued again.`
        : `Job ${id} is no longer failed (someone retried it already?).`,
    );
    res.redirect(303, "/console/work");
  });

  router.post("/work/retry-all", async (req, res) => {
    const f = { target: param(req, "target", "body"), code: param(req, "code", "body") };
    const n = (
      await retryAll(deps.sync, consoleActor(req, res), {
        ...(f.target ? { target: f.target } : {}),
        ...(f.code ? { code: f.code } : {}),
      })
    ).value;
    await deps.flash(res, `${n} failed job${n === 1 ? " is" : "s are"} queued again.`);
    res.redirect(303, `/console/work${qs({ target: f.target, code: f.code })}`);
  });

  router.post("/work/release", async (req, res) => {
    const target = param(req, "target", "body");
    if (!target)
      throw new BridgeError("SCIM_INVALID_VALUE", "Choose the target whose held deprovisions to release");
    const all = param(req, "scope", "body") === "all";
    const raw = (req.body as { ids?: string | string[] }).ids;
    const ids = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map(Number);
    if (ids.some((id) => !Number.isSafeInteger(id)))
      throw new BridgeError("SCIM_INVALID_VALUE", "ids must be job ids from the held list");
    if (!all && !ids.length && may(res, "operator.release")) {
      await deps.flash(res, "Select the held deprovisions to release first (or use Release all).");
      res.redirect(303, "/console/work#held");
      return;
    }
    const released = (await releaseHeld(deps.sync, consoleActor(req, res), target, all ? undefined : ids))
      .value;
    await deps.flash(res, `Released ${released} held deprovision${released === 1 ? "" : "s"} for ${target}.`);
    res.redirect(303, "/console/work#held");
  });
}
