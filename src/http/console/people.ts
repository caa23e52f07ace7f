// A target's people on the overview: managed accounts, people synced / pending / failing, held deprovisions, and
// whether people are failing, apart from whether the connection works (the health checks' badge).
import type { PeopleCounts, RecentChanges } from "../../store/index.ts";
import { type Html, html, qs } from "./html.ts";

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

const KINDS = ["created", "updated", "deactivated", "failed"] as const;

/** The last hour in a target, like an IdP's provisioning cycle summary; each number opens those deliveries. */
export function lastHourTable(target: string, r: RecentChanges | undefined, since: Date): Html {
  const c = r ?? { created: 0, updated: 0, deactivated: 0, failed: 0 };
  const from = since.toISOString();
  return html`<div class="scroll"><table aria-label="Last hour in ${target} (people)"><caption>Last hour (people)</caption>
<tr>${KINDS.map((k) => html`<th class="num">${k}</th>`)}</tr>
<tr>${KINDS.map((k) => {
    const link = `/console/deliveries${qs({ target, from, ...(k === "failed" ? { outcome: k } : { action: k, outcome: "synced" }) })}`;
    return html`<td class="num" data-last-hour="${target}:${k}">${c[k] ? html`<a href="${link}">${c[k]}</a>` : "0"}</td>`;
  })}</tr></table></div>`;
}
