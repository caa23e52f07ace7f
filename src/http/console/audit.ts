// The audit log, newest first, filterable by person (userName, displayName or id), target, actor, action, outcome and
// date range, keyset-paged on (time, id), exportable as CSV or NDJSON (export.ts); the page's frame is log-page.ts.
import type { Router } from "express";
import type { AuditRow } from "../../store/index.ts";
import { auditDetail } from "./audit-detail.ts";
import { ACTIONS, auditFilter, OUTCOMES } from "./audit-filter.ts";
import type { ConsoleDeps } from "./context.ts";
import { type Html, html, time } from "./html.ts";
import { logPageRoute, selectField, textField } from "./log-page.ts";
import { who } from "./who.ts";

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
  logPageRoute(router, deps, {
    path: "/audit",
    title: "Audit",
    nav: "audit",
    formLabel: "Filter the audit log",
    rowId: "an audit event id",
    filter: auditFilter,
    fields: ({ actor, action, outcome }) => [
      textField("actor", "Actor (email or token name)", actor),
      textField("action", "Action", action, {
        attrs: html` list="f-actions" spellcheck="false"`,
        after: html`<datalist id="f-actions">${ACTIONS.map((a) => html`<option>${a}</option>`)}</datalist>`,
      }),
      selectField("outcome", "Outcome", OUTCOMES, outcome),
    ],
    table: auditTable,
    empty: {
      older: "No older events.",
      none: "No audit events match.",
      filtered:
        "Clear a filter to see more; the actor is the email of the person or the name of the token that acted (e.g. ada@example.com, default, admin, dispatcher).",
      unfiltered: "Events appear as SCIM writes are accepted and delivered.",
    },
  });
}
