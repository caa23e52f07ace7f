// What the audit and the delivery log pages share: a filter form (GET, so a filtered view is a link), links that
// export the same filter (export.ts), the rows newest first, keyset-paged on (time, id) with Newest and Older links,
// and an empty state that says why there is nothing. A person's log (person-log.ts) pages the same way.
import type { Request, Router } from "express";
import { BridgeError } from "../../errors.ts";
import { type AuditRow, queryAudit } from "../../store/index.ts";
import type { AuditFilterInput } from "./audit-filter.ts";
import { type ConsoleDeps, param, sendPage } from "./context.ts";
import { empty, type Html, html, type Page, qs } from "./html.ts";

const PAGE = 50;

type Given = AuditFilterInput["given"];

/** The `before` of an Older link: the id of the last row shown; `what` names it for the error. */
export function beforeParam(req: Request, what: string): number | undefined {
  const text = param(req, "before");
  const before = text === undefined ? undefined : Number(text);
  if (before !== undefined && !Number.isSafeInteger(before))
    throw new BridgeError("SCIM_INVALID_VALUE", `before must be ${what} (from the Older link)`);
  return before;
}

/** Newest (on a later page) and Older (when `older`, the next page's `before`, is known), keeping `params`. */
export const pagingLinks = (
  path: string,
  params: Given,
  before: number | undefined,
  older: number | null,
): Html => html`<p class="actions">${before ? html`<a href="${path}${qs(params)}">Newest</a>` : ""}
${older !== null ? html`<a href="${path}${qs({ ...params, before: older })}" rel="next">Older</a>` : ""}</p>`;

/** A filter's text input, `f-<name>`: `attrs` are added to the input, `after` follows it (a datalist). */
export const textField = (
  name: string,
  label: string,
  value: string | undefined,
  extra: { attrs?: Html; after?: Html } = {},
): Html =>
  html`<span class="field"><label for="f-${name}">${label}</label> <input type="text" id="f-${name}" name="${name}" value="${value ?? ""}"${extra.attrs ?? ""}>${extra.after ?? ""}</span>`;

/** A filter's choice among `values`, or any. */
export const selectField = (
  name: string,
  label: string,
  values: readonly string[],
  chosen: string | undefined,
): Html =>
  html`<span class="field"><label for="f-${name}">${label}</label> <select id="f-${name}" name="${name}"><option value="">any</option>${values.map(
    (v) => html`<option${v === chosen ? html` selected` : ""}>${v}</option>`,
  )}</select></span>`;

const dateField = (name: "from" | "to", label: string, value: string | undefined) =>
  html`<span class="field"><label for="f-${name}">${label}</label> <input type="datetime-local" id="f-${name}" name="${name}" value="${value ?? ""}"></span>`;

export interface LogPage {
  /** Under /console; the exports are `${path}/export.csv` and `${path}/export.ndjson`. */
  path: "/audit" | "/deliveries";
  title: string;
  nav: Page["nav"];
  /** A line under the heading. */
  intro?: Html;
  /** The filter form's accessible name. */
  formLabel: string;
  /** What a row's id is, for a bad `before` ("an audit event id"). */
  rowId: string;
  filter(deps: ConsoleDeps, req: Request): Promise<AuditFilterInput>;
  /** The page's own fields, between the person and target and the date range. */
  fields(given: Given): Html[];
  table(rows: AuditRow[]): Html;
  /** The empty state: the heading on a later page and on the first, and the advice with and without a filter. */
  empty: { older: string; none: string; filtered: string; unfiltered: string };
}

/** Serves `page` at its path: the filter from the query, one page of rows, the form, the exports and the paging. */
export function logPageRoute(router: Router, deps: ConsoleDeps, page: LogPage) {
  const path = `/console${page.path}`;
  router.get(page.path, async (req, res) => {
    const { given, query } = await page.filter(deps, req);
    const before = beforeParam(req, page.rowId);
    const rows = await queryAudit(deps.sync.db, query, { before, limit: PAGE + 1 }, { idNames: true });
    const shown = rows.slice(0, PAGE);
    const filtered = Object.values(given).some((v) => v !== undefined);
    const fields = [
      textField("resource", "Person or group (userName, displayName or id)", given.resource, {
        attrs: html` spellcheck="false"`,
      }),
      selectField(
        "target",
        "Target",
        deps.sync.targets.map((t) => t.name),
        given.target,
      ),
      ...page.fields(given),
      dateField("from", "From (UTC)", given.from),
      dateField("to", "To (UTC)", given.to),
    ];
    sendPage(res, {
      title: page.title,
      nav: page.nav,
      body: html`<h1>${page.title}</h1>
${page.intro ? html`<p class="muted">${page.intro}</p>\n` : ""}<form method="get" action="${path}" class="filters" aria-label="${page.formLabel}">${fields.map((f) => html`\n  ${f}`)}
  <button type="submit">Filter</button> <a href="${path}">Clear</a>
</form>
<p class="actions">Export this filter: <a href="${path}/export.csv${qs(given)}" download>CSV</a> <a href="${path}/export.ndjson${qs(given)}" download>NDJSON</a></p>
${
  shown.length
    ? page.table(shown)
    : empty(
        before ? page.empty.older : page.empty.none,
        filtered ? page.empty.filtered : page.empty.unfiltered,
      )
}
${pagingLinks(path, given, before, rows.length > PAGE ? shown.at(-1)!.id : null)}`,
    });
  });
}
