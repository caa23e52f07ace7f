// Reconcile and import from the console: a dry run shows the plan (classes and counts, then the rows with drifted
// fields), Apply runs it again for real and follows the repairs through the outbox. Runs happen in the background
// of this process, so a long one shows its progress; the page polls it.
import { randomUUID } from "node:crypto";
import type { Request, Response, Router } from "express";
import { BridgeError } from "../../errors.ts";
import { startImport, startReconcile } from "../../sync/actions/index.ts";
import type { ImportReport } from "../../sync/import/index.ts";
import {
  openJobsSince,
  RECONCILE_STATUSES,
  type ReconcileItem,
  type ReconcileReport,
} from "../../sync/reconcile/index.ts";
import type { DriftedField } from "../../targets/target.ts";
import { type ConsoleDeps, may, param, sendFragment, sendPage, session } from "./context.ts";
import { csrfField, empty, type Html, html, time } from "./html.ts";
import { consoleActor } from "./session.ts";

type Deps = ConsoleDeps & { flash(res: Response, m: string): Promise<void> };
type Kind = "reconcile" | "import";

interface Run {
  id: string;
  kind: Kind;
  target: string;
  apply: boolean;
  includeInactive: boolean;
  actor: string;
  started: Date;
  finished?: Date;
  progress: { phase: string; seen: number };
  reconcile?: ReconcileReport;
  import?: ImportReport;
  error?: string;
  /** First outbox job id an applied run could have queued, to follow its deliveries. */
  mark?: number;
}

/** Runs kept per process (newest first); older ones are forgotten. */
const KEEP = 20;
const IMPORT_RESULTS = ["created", "linked", "updated", "skipped", "failed"] as const;

export function runRoutes(router: Router, deps: Deps) {
  const runs = new Map<string, Run>();

  /** Starts a run through the operator actions (which check the role and audit it), then follows it here. */
  async function start(
    req: Request,
    res: Response,
    kind: Kind,
    target: string,
    apply: boolean,
    includeInactive: boolean,
  ): Promise<Run> {
    const actor = consoleActor(req, res);
    const run: Run = {
      id: randomUUID(),
      kind,
      target,
      apply,
      includeInactive,
      actor: actor.name,
      started: new Date(),
      progress: { phase: "starting", seen: 0 },
    };
    const onProgress = (p: { phase: string; seen: number }) => {
      run.progress = { phase: p.phase, seen: p.seen };
    };
    const deps2 = { ...deps.sync, deprovisionUnmanaged: deps.deprovisionUnmanaged };
    const started =
      kind === "reconcile"
        ? await startReconcile(deps2, actor, { target, apply, onProgress })
        : await startImport(deps2, actor, { from: target, apply, includeInactive, onProgress });
    run.mark = started.mark;
    runs.set(run.id, run);
    for (const old of [...runs.keys()].slice(0, Math.max(0, runs.size - KEEP))) runs.delete(old);
    void (started.finished as Promise<ReconcileReport | ImportReport>)
      .then((report) => {
        if (kind === "reconcile") run.reconcile = report as ReconcileReport;
        else run.import = report as ImportReport;
      })
      .catch((e) => {
        run.error = e instanceof BridgeError ? e.message : `The run failed: ${(e as Error).message}`;
      })
      .finally(() => {
        run.finished = new Date();
      });
    return run;
  }

  function find(id: string): Run {
    const run = runs.get(id);
    if (!run)
      throw new BridgeError(
        "SCIM_NOT_FOUND",
        "This run is not known here: runs live in the bridge process that started them and only the last 20 are kept. Start a new one.",
      );
    return run;
  }

  /** `csrf` is absent when the operator may not apply (the button is not shown). */
  async function runContent(run: Run, csrf: string | undefined): Promise<Html> {
    const what = run.kind === "reconcile" ? `Reconcile ${run.target}` : `Import from ${run.target}`;
    const head = html`<p>${what}, ${run.apply ? "applied" : "dry run"}, started ${time(run.started)} by ${run.actor}.</p>`;
    if (!run.finished)
      return html`${head}<p role="status"><progress aria-label="Run in progress"></progress><br>
Reading ${run.progress.phase}: ${run.progress.seen} read so far…</p>`;
    if (run.error) return html`${head}<p class="error" role="alert" data-live-done>${run.error}</p>`;
    const table = run.reconcile ? reconcilePlan(run.reconcile) : importPlan(run.import!);
    if (!run.apply) {
      const work = run.reconcile
        ? run.reconcile.items.some((i) => i.repair !== "none")
        : run.import!.users.created + run.import!.users.linked + run.import!.users.updated > 0;
      return html`${head}<div data-live-done>${table}
${
  work && csrf
    ? html`<form method="post" action="/console/runs/${run.id}/apply" class="actions">${csrfField(csrf)}
  <button type="submit" data-confirm="Apply this plan to ${run.target}?">Apply</button>
  <span class="muted">Runs it again for real: repairs go through the outbox and the circuit breaker.</span></form>`
    : html`<p class="muted">${work ? "Applying needs the role operator." : "Nothing to apply."}</p>`
}</div>`;
    }
    const d = await openJobsSince(deps.sync.db, run.mark ?? 0);
    const delivered = d.open === 0;
    const enq = run.reconcile?.enqueued;
    return html`${head}${table}
${enq ? html`<p>Queued: ${enq.provision} provision, ${enq.deprovision} deprovision, ${enq.held} held by the circuit breaker.</p>` : ""}
<p role="status" ${delivered ? html`data-live-done` : ""}>Delivery: ${d.done} delivered, ${d.open} in progress, ${d.dead} failed, ${d.held} held.
${delivered ? (d.dead ? html` <a href="/console/work">See the failures</a>.` : " Done.") : html`<progress aria-label="Delivery in progress"></progress>`}</p>`;
  }

  const applyCsrf = (res: Response) => (may(res, "operator.reconcile.apply") ? session(res).csrf : undefined);
  router.get("/runs", async (_req, res) => {
    const csrf = session(res).csrf;
    const targets = deps.sync.targets;
    const recent = [...runs.values()].reverse();
    sendPage(res, {
      title: "Reconcile & import",
      nav: "runs",
      body: html`<h1>Reconcile and import</h1>
<p class="muted">Reconcile compares every account of a target with the store; import brings a target's accounts into the
store (and from there into the other targets). Both start as a dry run: nothing changes until you apply the plan.</p>
${
  !may(res, "operator.reconcile.dry-run")
    ? html`<p class="muted">Starting a reconcile or import needs the role operator.</p>`
    : targets.length
      ? html`<form method="post" action="/console/runs" class="filters">${csrfField(csrf)}
  <span class="field"><label for="f-kind">What</label> <select id="f-kind" name="kind"><option value="reconcile">Reconcile a target</option><option value="import">Import from a target</option></select></span>
  <span class="field"><label for="f-target">Target</label> <select id="f-target" name="target">${targets.map((t) => html`<option>${t.name}</option>`)}</select></span>
  <label class="inline"><span><input type="checkbox" name="includeInactive" value="true"> import inactive accounts too</span></label>
  <button type="submit">Dry run</button>
</form>`
      : empty("No targets are configured.", 'Configure a target first (README "Targets").')
}
<h2>Recent runs</h2>
${
  recent.length
    ? html`<div class="scroll"><table aria-label="Recent runs"><tr><th>started</th><th>what</th><th>mode</th><th>by</th><th>state</th></tr>
${recent.map(
  (
    r,
  ) => html`<tr><td>${time(r.started)}</td><td><a href="/console/runs/${r.id}">${r.kind} ${r.target}</a></td>
<td>${r.apply ? "applied" : "dry run"}</td><td>${r.actor}</td><td>${r.error ? "failed" : r.finished ? "finished" : "running"}</td></tr>`,
)}</table></div>`
    : html`<p class="muted">No runs yet in this bridge process.</p>`
}`,
    });
  });

  router.post("/runs", async (req, res) => {
    const kind = param(req, "kind", "body") ?? "reconcile";
    if (kind !== "reconcile" && kind !== "import")
      throw new BridgeError("SCIM_INVALID_VALUE", "kind must be reconcile or import");
    const target = param(req, "target", "body");
    if (!target) throw new BridgeError("SCIM_INVALID_VALUE", "Choose a target");
    const run = await start(req, res, kind, target, false, param(req, "includeInactive", "body") === "true");
    res.redirect(303, `/console/runs/${run.id}`);
  });

  router.post("/runs/:id/apply", async (req, res) => {
    const dry = find(String(req.params.id));
    if (!dry.finished || dry.apply || dry.error)
      throw new BridgeError("SCIM_INVALID_VALUE", "Only a finished dry run can be applied");
    const run = await start(req, res, dry.kind, dry.target, true, dry.includeInactive);
    res.redirect(303, `/console/runs/${run.id}`);
  });

  router.get("/runs/:id", async (req, res) => {
    const run = find(String(req.params.id));
    const csrf = applyCsrf(res);
    sendPage(res, {
      title: `${run.kind} ${run.target}`,
      nav: "runs",
      body: html`<h1>${run.kind === "reconcile" ? "Reconcile" : "Import from"} ${run.target}</h1>
<div data-live="/console/live/runs/${run.id}" data-every="1000">${await runContent(run, csrf)}</div>
<p><a href="/console/runs">All runs</a></p>`,
    });
  });

  router.get("/live/runs/:id", async (req, res) => {
    sendFragment(res, await runContent(find(String(req.params.id)), applyCsrf(res)));
  });
}

/** A drifted row's values, the target's and the store's side by side, one line per field. */
function driftValues(i: ReconcileItem): Html {
  const side = (pick: (v: DriftedField) => unknown, data: string) =>
    html`<td ${data}>${
      i.values?.length
        ? html`<ul class="changes">${i.values.map((v) => html`<li data-field="${v.field}"><code>${v.field}</code>: ${pick(v) === undefined ? "(none)" : String(pick(v))}</li>`)}</ul>`
        : ""
    }</td>`;
  return html`${side((v) => v.target, "data-target-values")}${side((v) => v.store, "data-store-values")}`;
}

function reconcilePlan(r: ReconcileReport): Html {
  const shown = r.items.filter((i) => i.status !== "in-sync");
  return html`<h2>Plan</h2>
<p class="muted">${r.pages} page${r.pages === 1 ? "" : "s"} read from ${r.target} in ${r.durationMs} ms.</p>
<div class="scroll"><table aria-label="Counts by class"><tr><th></th>${RECONCILE_STATUSES.map((s) => html`<th class="num">${s}</th>`)}</tr>
<tr><th scope="row">users</th>${RECONCILE_STATUSES.map((s) => html`<td class="num" data-count="users:${s}">${r.users[s]}</td>`)}</tr>
<tr><th scope="row">groups</th>${RECONCILE_STATUSES.map((s) => html`<td class="num" data-count="groups:${s}">${r.groups[s]}</td>`)}</tr></table></div>
${
  shown.length
    ? html`<h3>Not in sync</h3><div class="scroll"><table aria-label="Accounts not in sync"><tr><th>type</th><th>status</th><th>key</th><th>fields</th><th>in the target</th><th>the store's</th><th>repair</th><th>note</th></tr>
${shown.map(
  (i) => html`<tr data-item="${i.key}"><td>${i.type}</td><td>${i.status}</td>
<td>${i.scimId ? html`<a href="/console/${i.type === "Group" ? "groups" : "users"}/${i.scimId}">${i.key}</a>` : i.key}</td>
<td data-fields>${i.fields?.join(", ") ?? ""}</td>${driftValues(i)}<td>${i.repair}</td><td>${i.note ?? ""}</td></tr>`,
)}</table></div>${r.truncated ? html`<p class="muted">Only the first ${shown.length} are listed; the counts are complete.</p>` : ""}`
    : html`<p>Everything is in sync.</p>`
}`;
}

function importPlan(r: ImportReport): Html {
  const shown = r.items.filter((i) => i.result !== "skipped" || i.reason);
  return html`<h2>Plan</h2>
<div class="scroll"><table aria-label="Counts by result"><tr><th></th>${IMPORT_RESULTS.map((s) => html`<th class="num">${s}</th>`)}</tr>
<tr><th scope="row">users</th>${IMPORT_RESULTS.map((s) => html`<td class="num" data-count="users:${s}">${r.users[s]}</td>`)}</tr>
<tr><th scope="row">groups</th>${IMPORT_RESULTS.map((s) => html`<td class="num" data-count="groups:${s}">${r.groups[s]}</td>`)}</tr></table></div>
${
  shown.length
    ? html`<div class="scroll"><table aria-label="Accounts"><tr><th>type</th><th>key</th><th>result</th><th>reason</th></tr>
${shown.slice(0, 1000).map((i) => html`<tr><td>${i.type}</td><td>${i.key}</td><td>${i.result}</td><td>${i.reason ?? ""}</td></tr>`)}</table></div>`
    : html`<p>Nothing to import.</p>`
}`;
}
