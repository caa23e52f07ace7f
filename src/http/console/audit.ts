// The audit log, newest first, filterable by person (userName, displayName or id), target, actor, action, outcome and
// date range, keyset-paged on (time, id), exportable as CSV or NDJSON (export.ts).
import type { Router } from "express";
import { BridgeError } from "../../errors.ts";
import { type AuditRow, queryAudit } from "../../store/index.ts";
import { auditDetail } from "./audit-detail.ts";
import { ACTIONS, auditFilter, OUTCOMES } from "./audit-filter.ts";
import { type ConsoleDeps, param, sendPage } from "./context.ts";
import { empty, type Html, html, qs, time } from "./html.ts";
import { who } from "./who.ts";

const PAGE = 50;

export function auditTable(events: AuditRow[]): Html {
  return html`<div class="scroll"><table aria-label="Audit events">
<tr><th>when</th><th>actor</th><th>action</th><th>resource</th><th>target</th><th>outcome</th><th>detail</th></tr>
${events.map(
  (e) => html`<tr><td>${time(e.at)}</td><td>${e.actor ?? "—"}</td><td>${e.action}</td>
<td>${who(e)}</td><td>${e.target ?? "—"}</td><td><span class="badge state-${e.outcome === "retry" ? "pending" : e.outcome}">${e.outcome}</span></td>
<td>${auditDetail(e)}</td></tr>`,
)}</table></div>`;
}

export function auditRoutes(router: Router, deps: ConsoleDeps) {
  router.get("/audit", async (req, res) => {
    const { given, query } = await auditFilter(deps, req);
    const { resource, target, actor, action, outcome, from, to } = given;
    const beforeText = param(req, "before");
    const before = beforeText === undefined ? undefined : Number(beforeText);
    if (before !== undefined && !Number.isSafeInteger(before))
      throw new BridgeError("SCIM_INVALID_VALUE", "before must be an audit event id (from the Older link)");
    const events = await queryAudit(deps.sync.db, query, { before, limit: PAGE + 1 });
    const page = events.slice(0, PAGE);
    const base = given;
    const filtered = Object.values(given).some((v) => v !== undefined);
    sendPage(res, {
      title: "Audit",
      nav: "audit",
      body: html`<h1>Audit</h1>
<form method="get" action="/console/audit" class="filters" aria-label="Filter the audit log">
  <span class="field"><label for="f-resource">Person or group (userName, displayName or id)</label> <input type="text" id="f-resource" name="resource" value="${resource ?? ""}" inputmode="text" spellcheck="false"></span>
  <span class="field"><label for="f-target">Target</label> <select id="f-target" name="target"><option value="">any</option>${deps.sync.targets.map(
    (t) => html`<option${t.name === target ? html` selected` : ""}>${t.name}</option>`,
  )}</select></span>
  <span class="field"><label for="f-actor">Actor (email or token name)</label> <input type="text" id="f-actor" name="actor" value="${actor ?? ""}"></span>
  <span class="field"><label for="f-action">Action</label> <input type="text" id="f-action" name="action" value="${action ?? ""}" list="f-actions" spellcheck="false"><datalist id="f-actions">${ACTIONS.map((a) => html`<option>${a}</option>`)}</datalist></span>
  <span class="field"><label for="f-outcome">Outcome</label> <select id="f-outcome" name="outcome"><option value="">any</option>${OUTCOMES.map(
    (o) => html`<option${o === outcome ? html` selected` : ""}>${o}</option>`,
  )}</select></span>
  <span class="field"><label for="f-from">From (UTC)</label> <input type="datetime-local" id="f-from" name="from" value="${from ?? ""}"></span>
  <span class="field"><label for="f-to">To (UTC)</label> <input type="datetime-local" id="f-to" name="to" value="${to ?? ""}"></span>
  <button type="submit">Filter</button> <a href="/console/audit">Clear</a>
</form>
<p class="actions">Export this filter: <a href="/console/audit/export.csv${qs(base)}" download>CSV</a> <a href="/console/audit/export.ndjson${qs(base)}" download>NDJSON</a></p>
${
  page.length
    ? auditTable(page)
    : empty(
        before ? "No older events." : "No audit events match.",
        filtered
          ? "Clear a filter to see more; the actor is the email of the person or the name of the token that acted (e.g. ada@example.com, default, admin, dispatcher)."
          : "Events appear as SCIM writes are accepted and delivered.",
      )
}
<p class="actions">${before ? html`<a href="/console/audit${qs(base)}">Newest</a>` : ""}
${events.length > PAGE ? html`<a href="/console/audit${qs({ ...base, before: page.at(-1)!.id })}" rel="next">Older</a>` : ""}</p>`,
    });
  });
}
