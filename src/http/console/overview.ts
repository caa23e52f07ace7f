// The overview: each target's health checks (with the fix for a failing one), its queue by state and its
// circuit breaker, and the last hour of deliveries. The content is one live region, re-fetched every 5 s.
import type { Router } from "express";
import {
  countRecentDeprovisions,
  deliveriesPerMinute,
  type JobState,
  latencyPerMinute,
  type MinuteActivity,
  type MinuteLatency,
  type PeopleCounts,
  peopleByTarget,
  queueDepth,
  type RecentChanges,
  recentChangesByTarget,
} from "../../store/index.ts";
import type { ConfiguredTarget } from "../../sync/index.ts";
import type { CheckResult } from "../../targets/target.ts";
import { deliveriesChart, latencyChart, perMinute } from "./chart.ts";
import { type ConsoleDeps, sendFragment, sendPage } from "./context.ts";
import { empty, type Html, html } from "./html.ts";
import { failingBadge, lastHourTable, peopleTable } from "./people.ts";

const MINUTES = 60;
/**
 * The chart's numbers are per minute, so reading them again on every 5-second poll would only cost: on a busy
 * store (200,000 deliveries in the hour) the two aggregates take most of a second. Each process reads them at
 * most every 20 s.
 */
const CHART_FRESH_MS = 20_000;
const STATES: JobState[] = ["pending", "running", "held", "dead"];
/** The queue's states as the console names them: a dead job is a failed one (README "Failed & held"). */
const STATE_LABEL: Partial<Record<JobState, string>> = { dead: "failed" };

interface TargetView {
  t: ConfiguredTarget;
  checks: CheckResult[];
  queue: Partial<Record<JobState, number>>;
  recentDeprovisions: number;
  people: PeopleCounts | undefined;
  recent: RecentChanges | undefined;
  since: Date;
}

function breakerLine(deps: ConsoleDeps, v: TargetView): Html {
  const b = deps.sync.breaker;
  const held = v.queue.held ?? 0;
  const window = Math.round(b.windowMs / 60_000);
  const limits = [
    b.maxCount ? `more than ${b.maxCount}` : "",
    b.maxPercent ? `more than ${b.maxPercent}% of linked accounts` : "",
  ].filter(Boolean);
  if (held)
    return html`<p><span class="badge warn">holding</span> ${held} deprovision${held === 1 ? "" : "s"} held for approval.
      <a href="/console/work?target=${v.t.name}#held">Review and release them</a>.</p>`;
  return html`<p><span class="badge ok">closed</span> ${v.recentDeprovisions} deprovision${v.recentDeprovisions === 1 ? "" : "s"} in the last ${window} min${
    limits.length ? html`; holds at ${limits.join(" or ")}` : html`; the breaker is off`
  }.</p>`;
}

function targetCard(deps: ConsoleDeps, v: TargetView): Html {
  const healthy = v.checks.every((c) => c.ok);
  return html`<section class="card" aria-labelledby="t-${v.t.name}">
<h3 id="t-${v.t.name}">${v.t.name} <span class="muted">(${v.t.target.kind})</span>
  <span class="muted">connection</span> <span class="badge ${healthy ? "ok" : "bad"}" data-health="${v.t.name}">${healthy ? "healthy" : "unhealthy"}</span>
  ${failingBadge(v.t.name, v.people)}</h3>
${v.t.scope ? html`<p class="muted">Scope: <code>${v.t.scope}</code></p>` : ""}
<ul class="checks" aria-label="Health checks of ${v.t.name}">${v.checks.map(
    (c) => html`<li><span class="${c.ok ? "pass" : "fail"}" aria-hidden="true">${c.ok ? "✓" : "✗"}</span>
      <span class="visually-hidden">${c.ok ? "passed:" : "failed:"}</span> <strong>${c.check}</strong> ${c.detail}
      ${!c.ok && c.fix ? html`<span class="fix">Fix: ${c.fix}</span>` : ""}</li>`,
  )}</ul>
${peopleTable(v.t.name, v.people, v.queue.held ?? 0)}
${lastHourTable(v.t.name, v.recent, v.since)}
<table aria-label="Queue of ${v.t.name}"><tr>${STATES.map((s) => html`<th class="num">${STATE_LABEL[s] ?? s}</th>`)}</tr>
<tr>${STATES.map((s) => {
    const n = v.queue[s] ?? 0;
    const link =
      s === "dead" && n
        ? html`<a href="/console/work?target=${v.t.name}">${n}</a>`
        : s === "held" && n
          ? html`<a href="/console/work?target=${v.t.name}#held">${n}</a>`
          : String(n);
    return html`<td class="num" data-queue="${v.t.name}:${s}">${link}</td>`;
  })}</tr></table>
${breakerLine(deps, v)}
</section>`;
}

/** Per-minute and last-hour numbers, read together and kept for CHART_FRESH_MS. */
type ChartData = [MinuteActivity[], MinuteLatency[], Map<string, RecentChanges>, Date];

async function overviewContent(
  deps: ConsoleDeps,
  fresh: boolean,
  chart: () => Promise<ChartData>,
): Promise<Html> {
  const { db, targets, breaker } = deps.sync;
  const since = new Date(Date.now() - breaker.windowMs);
  const [depth, people, [activity, latency, recent, hourAgo], views] = await Promise.all([
    queueDepth(db),
    peopleByTarget(db),
    chart(),
    Promise.all(
      targets.map(async (t) => ({
        t,
        checks: await deps.health.check(t, fresh),
        recentDeprovisions: await countRecentDeprovisions(db, t.name, since),
      })),
    ),
  ]);
  const cards = views.map((v) =>
    targetCard(deps, {
      ...v,
      people: people.get(v.t.name),
      recent: recent.get(v.t.name),
      since: hourAgo,
      queue: Object.fromEntries(depth.filter((d) => d.target === v.t.name).map((d) => [d.state, d.count])),
    }),
  );
  return html`${
    targets.length
      ? html`<div class="cards">${cards}</div>`
      : empty(
          "No targets are configured.",
          'Add a Tableau or Salesforce target (README "Targets"), or start with DEMO=true to use the local emulators.',
        )
  }
<h2>Last hour</h2>
<div class="cards">
<figure class="card"><figcaption><h3>Deliveries per minute</h3></figcaption>
${deliveriesChart(perMinute(activity, MINUTES))}
<ul class="legend"><li><span class="key-synced"></span>synced</li><li><span class="key-retry"></span>retried</li><li><span class="key-failed"></span>failed</li></ul>
</figure>
<figure class="card"><figcaption><h3>Accept → synced latency</h3></figcaption>
${latencyChart(latency, MINUTES)}
<ul class="legend"><li><span class="key-p50"></span>p50</li><li><span class="key-p95"></span>p95</li></ul>
</figure>
</div>`;
}

export function overviewRoutes(router: Router, deps: ConsoleDeps) {
  let cached: { at: number; data: Promise<ChartData> } | undefined;
  const chart = () => {
    if (!cached || Date.now() - cached.at > CHART_FRESH_MS) {
      const hourAgo = new Date(Date.now() - MINUTES * 60_000);
      const data = Promise.all([
        deliveriesPerMinute(deps.sync.db, MINUTES),
        latencyPerMinute(deps.sync.db, MINUTES),
        recentChangesByTarget(deps.sync.db, hourAgo),
        hourAgo,
      ]);
      cached = { at: Date.now(), data };
      // A failed read is not kept: the next poll tries again.
      data.catch(() => {
        if (cached?.data === data) cached = undefined;
      });
    }
    return cached.data;
  };
  router.get("/", async (req, res) => {
    const fresh = req.query.check === "now";
    sendPage(res, {
      title: "Overview",
      nav: "overview",
      body: html`<h1>Overview</h1>
<p class="actions"><a class="button secondary" href="/console?check=now">Run the health checks now</a>
<span class="muted">Checks are cached for 30 s; this page updates itself every 5 s.</span></p>
<div data-live="/console/live/overview" data-every="5000">${await overviewContent(deps, fresh, chart)}</div>`,
    });
  });
  router.get("/live/overview", async (_req, res) => {
    sendFragment(res, await overviewContent(deps, false, chart));
  });
}
