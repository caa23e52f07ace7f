// The delivery log: each attempt to bring a person or group in line in a target (and each pre-flight refusal), newest
// first, filtered like a log (date range, kind of change, outcome, target, who requested it, person), keyset-paged
// on (time, id) and exportable as CSV or NDJSON under the same filter (export.ts). Read from the audit's delivery
// rows (store/audit-query.ts, deliveries).
import type { Router } from "express";
import { BridgeError } from "../../errors.ts";
import { type AuditRow, DELIVERY_CHANGES, queryAudit } from "../../store/index.ts";
import { DELIVERY_OUTCOMES, deliveriesFilter } from "./audit-filter.ts";
import { type ConsoleDeps, param, sendPage } from "./context.ts";
import { empty, type Html, html, qs, time } from "./html.ts";
import { who } from "./who.ts";

const PAGE = 50;

const message = (detail: unknown) =>
  detail && typeof detail === "object" && "detail" in detail ? String(detail.detail) : "";

function deliveriesTable(rows: AuditRow[]): Html {
  return html`<div class="scroll"><table aria-label="Deliveries">
<tr><th>when</th><th>person or group</th><th>target</th><th>action</th><th>outcome</th><th>requested by</th><th>detail</th></tr>
${rows.map(
  (r) => html`<tr data-delivery="${r.id}"><td>${time(r.at)}</td><td>${who(r)}</td><td>${r.target ?? "—"}</td>
<td data-change>${r.change ?? "—"}${r.action === "target.preflight" ? html` <span class="muted">(pre-flight)</span>` : ""}</td>
<td><span class="badge state-${r.outcome === "retry" ? "pending" : r.outcome}" data-outcome>${r.outcome}</span></td>
<td data-requested-by>${r.requestedBy ?? "—"}</td><td>${message(r.detail)}</td></tr>`,
)}</table></div>`;
}

export function deliveryRoutes(router: Router, deps: ConsoleDeps) {
  router.get("/deliveries", async (req, res) => {
    const { given, query } = await deliveriesFilter(deps, req);
    const { resource, target, actor, action, outcome, from, to } = given;
    const beforeText = param(req, "before");
    const before = beforeText === undefined ? undefined : Number(beforeText);
    if (before !== undefined && !Number.isSafeInteger(before))
      throw new BridgeError("SCIM_INVALID_VALUE", "before must be a delivery id (from the Older link)");
    const rows = await queryAudit(deps.sync.db, query, { before, limit: PAGE + 1 });
    const page = rows.slice(0, PAGE);
    const filtered = Object.values(given).some((v) => v !== undefined);
    const select = (id: string, name: string, values: readonly string[], chosen: string | undefined) =>
      html`<select id="${id}" name="${name}"><option value="">any</option>${values.map(
        (v) => html`<option${v === chosen ? html` selected` : ""}>${v}</option>`,
      )}</select>`;
    sendPage(res, {
      title: "Deliveries",
      nav: "deliveries",
      body: html`<h1>Deliveries</h1>
<p class="muted">Each attempt to bring a person or group in line in a target, and each change a target's pre-flight refused.</p>
<form method="get" action="/console/deliveries" class="filters" aria-label="Filter the deliveries">
  <span class="field"><label for="f-resource">Person or group (userName, displayName or id)</label> <input type="text" id="f-resource" name="resource" value="${resource ?? ""}" spellcheck="false"></span>
  <span class="field"><label for="f-target">Target</label> ${select(
    "f-target",
    "target",
    deps.sync.targets.map((t) => t.name),
    target,
  )}</span>
  <span class="field"><label for="f-action">Action</label> ${select("f-action", "action", DELIVERY_CHANGES, action)}</span>
  <span class="field"><label for="f-outcome">Outcome</label> ${select("f-outcome", "outcome", DELIVERY_OUTCOMES, outcome)}</span>
  <span class="field"><label for="f-actor">Requested by (email or token name)</label> <input type="text" id="f-actor" name="actor" value="${actor ?? ""}"></span>
  <span class="field"><label for="f-from">From (UTC)</label> <input type="datetime-local" id="f-from" name="from" value="${from ?? ""}"></span>
  <span class="field"><label for="f-to">To (UTC)</label> <input type="datetime-local" id="f-to" name="to" value="${to ?? ""}"></span>
  <button type="submit">Filter</button> <a href="/console/deliveries">Clear</a>
</form>
<p class="actions">Export this filter: <a href="/console/deliveries/export.csv${qs(given)}" download>CSV</a> <a href="/console/deliveries/export.ndjson${qs(given)}" download>NDJSON</a></p>
${
  page.length
    ? deliveriesTable(page)
    : empty(
        before ? "No older deliveries." : "No deliveries match.",
        filtered
          ? "Clear a filter to see more; requested by is the email of the person or the name of the token whose write or action queued the delivery."
          : "Deliveries appear as the bridge sends accepted writes to the targets.",
      )
}
<p class="actions">${before ? html`<a href="/console/deliveries${qs(given)}">Newest</a>` : ""}
${rows.length > PAGE ? html`<a href="/console/deliveries${qs({ ...given, before: page.at(-1)!.id })}" rel="next">Older</a>` : ""}</p>`,
    });
  });
}
