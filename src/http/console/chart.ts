// The overview's last-hour chart as inline SVG, drawn on the server: deliveries per minute stacked by outcome,
// and accept → synced latency (p50, p95) per minute. Pure functions of the numbers, so they are table-tested.
import type { MinuteActivity, MinuteLatency } from "../../store/index.ts";
import { type Html, html } from "./html.ts";

const W = 600;
const H = 120;
const PAD_L = 44;
const PAD_B = 18;

export interface Totals {
  synced: number;
  retry: number;
  failed: number;
}

/** Sums per minute over all targets: index 0 is the oldest minute, `minutes - 1` the current one. */
export function perMinute(activity: MinuteActivity[], minutes: number): Totals[] {
  const bins = Array.from({ length: minutes }, () => ({ synced: 0, retry: 0, failed: 0 }));
  for (const a of activity) {
    const i = minutes - 1 - a.ago;
    if (i < 0 || i >= minutes) continue;
    bins[i]!.synced += a.synced;
    bins[i]!.retry += a.retry;
    bins[i]!.failed += a.failed;
  }
  return bins;
}

/** A round axis maximum at or above `v` (1, 2, 5 × 10^n), so gridline labels read well. */
export function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export function formatSeconds(s: number): string {
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  return `${(s / 60).toFixed(1)} min`;
}

const n = (v: number) => Math.round(v * 10) / 10;

function axes(max: string, minutes: number): Html {
  return html`<line class="axis" x1="${PAD_L}" y1="${H - PAD_B}" x2="${W}" y2="${H - PAD_B}"/>
<line class="grid" x1="${PAD_L}" y1="4" x2="${W}" y2="4"/>
<text class="tick" x="${PAD_L - 4}" y="10" text-anchor="end">${max}</text>
<text class="tick" x="${PAD_L - 4}" y="${H - PAD_B}" text-anchor="end">0</text>
<text class="tick" x="${PAD_L}" y="${H - 4}">−${minutes} min</text>
<text class="tick" x="${(PAD_L + W) / 2}" y="${H - 4}" text-anchor="middle">−${minutes / 2} min</text>
<text class="tick" x="${W}" y="${H - 4}" text-anchor="end">now</text>`;
}

/** Deliveries per minute, stacked: synced, retried, failed. */
export function deliveriesChart(bins: Totals[]): Html {
  const minutes = bins.length;
  const sum = bins.reduce(
    (t, b) => ({ synced: t.synced + b.synced, retry: t.retry + b.retry, failed: t.failed + b.failed }),
    { synced: 0, retry: 0, failed: 0 },
  );
  const max = niceMax(Math.max(...bins.map((b) => b.synced + b.retry + b.failed)));
  const bw = (W - PAD_L) / minutes;
  const plot = H - PAD_B - 4;
  const bars = bins.map((b, i) => {
    let y = H - PAD_B;
    const x = n(PAD_L + i * bw + 0.5);
    const label = `${minutes - 1 - i} min ago: ${b.synced} synced, ${b.retry} retried, ${b.failed} failed`;
    const parts = (["synced", "retry", "failed"] as const).map((k) => {
      if (!b[k]) return "";
      const h = (b[k] / max) * plot;
      y -= h;
      return html`<rect class="bar-${k}" x="${x}" y="${n(y)}" width="${n(Math.max(bw - 1, 1))}" height="${n(h)}"/>`;
    });
    return b.synced + b.retry + b.failed ? html`<g><title>${label}</title>${parts}</g>` : "";
  });
  const summary = `Deliveries in the last ${minutes} minutes: ${sum.synced} synced, ${sum.retry} retried, ${sum.failed} failed`;
  return html`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${summary}">
<title>${summary}</title>${axes(`${max}/min`, minutes)}${bars}</svg>`;
}

/** Accept → synced latency per minute: p50 and p95 as lines (minutes without deliveries are gaps). */
export function latencyChart(latency: MinuteLatency[], minutes: number): Html {
  const byIndex = new Map(latency.map((l) => [minutes - 1 - l.ago, l]));
  const max = niceMax(Math.max(0, ...latency.map((l) => l.p95)));
  const bw = (W - PAD_L) / minutes;
  const plot = H - PAD_B - 4;
  const y = (s: number) => n(H - PAD_B - (s / max) * plot);
  const line = (k: "p50" | "p95") => {
    const segments: string[][] = [];
    let cur: string[] = [];
    for (let i = 0; i < minutes; i++) {
      const l = byIndex.get(i);
      if (!l) {
        if (cur.length) segments.push(cur);
        cur = [];
        continue;
      }
      cur.push(`${n(PAD_L + i * bw + bw / 2)},${y(l[k])}`);
    }
    if (cur.length) segments.push(cur);
    return segments.map((s) =>
      s.length === 1
        ? html`<circle class="line-${k}" cx="${s[0]!.split(",")[0]}" cy="${s[0]!.split(",")[1]}" r="2"/>`
        : html`<polyline class="line-${k}" points="${s.join(" ")}"/>`,
    );
  };
  const all = latency.map((l) => l.p95);
  const summary = latency.length
    ? `Accept to synced latency in the last ${minutes} minutes: p50 up to ${formatSeconds(Math.max(...latency.map((l) => l.p50)))}, p95 up to ${formatSeconds(Math.max(...all))}`
    : `No deliveries in the last ${minutes} minutes`;
  return html`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${summary}">
<title>${summary}</title>${axes(formatSeconds(max), minutes)}${line("p95")}${line("p50")}</svg>`;
}
