// The delivery log: each attempt to bring a person or group in line in a target (and each pre-flight refusal), newest
// first, filtered like a log (date range, kind of change, outcome, target, who requested it, person), keyset-paged
// on (time, id) and exportable as CSV or NDJSON under the same filter (export.ts); the page's frame is log-page.ts.
// Read from the audit's delivery rows (store/audit-query.ts, deliveries).
import type { Router } from "express";
import { type AuditRow, DELIVERY_CHANGES } from "../../store/index.ts";
import { DELIVERY_OUTCOMES, deliveriesFilter } from "./audit-filter.ts";
import type { ConsoleDeps } from "./context.ts";
import { type Html, html, time } from "./html.ts";
import { logPageRoute, selectField, textField } from "./log-page.ts";
import { who } from "./who.ts";

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
  logPageRoute(router, deps, {
    path: "/deliveries",
    title: "Deliveries",
    nav: "deliveries",
    intro: html`Each attempt to bring a person or group in line in a target, and each change a target's pre-flight refused.`,
    formLabel: "Filter the deliveries",
    rowId: "a delivery id",
    filter: deliveriesFilter,
    fields: ({ action, outcome, actor }) => [
      selectField("action", "Action", DELIVERY_CHANGES, action),
      selectField("outcome", "Outcome", DELIVERY_OUTCOMES, outcome),
      textField("actor", "Requested by (email or token name)", actor),
    ],
    table: deliveriesTable,
    empty: {
      older: "No older deliveries.",
      none: "No deliveries match.",
      filtered:
        "Clear a filter to see more; requested by is the email of the person or the name of the token whose write or action queued the delivery.",
      unfiltered: "Deliveries appear as the bridge sends accepted writes to the targets.",
    },
  });
}
