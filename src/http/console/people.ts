// A target's people on the overview: managed accounts, people synced / pending / failing, held deprovisions, and
// whether people are failing, apart from whether the connection works (the health checks' badge).
import type { PeopleCounts } from "../../store/index.ts";
import { type Html, html } from "./html.ts";

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** The "people failing" badge beside the connection's. */
export function failingBadge(target: string, p: PeopleCounts | undefined): Html {
  const n = p?.failed ?? 0;
  return n
    ? html`<a class="badge bad" data-people-failing="${target}" href="/console/work?target=${target}">${plural(n, "person", "people")} failing</a>`
    : html`<span class="badge ok" data-people-failing="${target}">no one failing</span>`;
}

export function peopleTable(target: string, p: PeopleCounts | undefined, held: number): Html {
  const c = p ?? { managed: 0, synced: 0, pending: 0, failed: 0, held: 0 };
  const cell = (k: string, n: number) => html`<td class="num" data-people="${target}:${k}">${n}</td>`;
  return html`<div class="scroll"><table aria-label="People in ${target}"><tr><th class="num" title="managed accounts: people with an account there">accounts</th><th class="num">synced</th><th class="num">pending</th><th class="num">failed</th><th class="num" title="held deprovisions">held</th></tr>
<tr>${cell("managed", c.managed)}${cell("synced", c.synced)}${cell("pending", c.pending)}${cell("failed", c.failed)}${cell("held", held)}</tr></table></div>`;
}
