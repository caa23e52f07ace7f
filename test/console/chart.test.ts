// The overview's last-hour chart: minutes binned oldest → newest, axes that read well, totals said in words.
import { describe, expect, it } from "vitest";
import {
  deliveriesChart,
  formatSeconds,
  latencyChart,
  niceMax,
  perMinute,
} from "../../src/http/console/chart.ts";

describe("last-hour chart", () => {
  it.each([
    [0, 1],
    [1, 1],
    [3, 5],
    [7, 10],
    [12, 20],
    [180, 200],
    [0.04, 0.05],
  ])("rounds an axis maximum of %s up to %s", (v, max) => {
    expect(niceMax(v)).toBeCloseTo(max);
  });

  it.each([
    [0.0421, "42 ms"],
    [2.345, "2.3 s"],
    [42.2, "42 s"],
    [150, "2.5 min"],
  ])("formats %s seconds as %s", (s, text) => {
    expect(formatSeconds(s)).toBe(text);
  });

  it("bins minutes oldest first and adds up targets; minutes outside the hour are dropped", () => {
    const bins = perMinute(
      [
        { ago: 0, target: "a", synced: 2, retry: 1, failed: 0 },
        { ago: 0, target: "b", synced: 3, retry: 0, failed: 1 },
        { ago: 59, target: "a", synced: 1, retry: 0, failed: 0 },
        { ago: 60, target: "a", synced: 9, retry: 9, failed: 9 },
      ],
      60,
    );
    expect(bins).toHaveLength(60);
    expect(bins[59]).toEqual({ synced: 5, retry: 1, failed: 1 });
    expect(bins[0]).toEqual({ synced: 1, retry: 0, failed: 0 });
    expect(bins.slice(1, 59).every((b) => b.synced + b.retry + b.failed === 0)).toBe(true);
  });

  it("draws one stacked bar per busy minute, scaled to the busiest, and says the totals", () => {
    const bins = perMinute(
      [
        { ago: 0, target: "a", synced: 8, retry: 0, failed: 2 },
        { ago: 10, target: "a", synced: 5, retry: 0, failed: 0 },
      ],
      60,
    );
    const svg = deliveriesChart(bins).value;
    expect(svg).toContain('aria-label="Deliveries in the last 60 minutes: 13 synced, 0 retried, 2 failed"');
    expect(svg.match(/<g>/g)).toHaveLength(2);
    expect(svg).toContain("0 min ago: 8 synced, 0 retried, 2 failed");
    const heights = [...svg.matchAll(/class="bar-(\w+)"[^>]*height="([\d.]+)"/g)].map((m) => [
      m[1],
      Number(m[2]),
    ]);
    // The busiest minute (10 deliveries) fills the plot's height (98 units); 5 deliveries fill half of it.
    expect(heights).toEqual([
      ["synced", 49],
      ["synced", 78.4],
      ["failed", 19.6],
    ]);
    expect(svg).not.toMatch(/style=/);
  });

  it("draws latency as p50 and p95 lines with gaps where nothing was delivered", () => {
    const svg = latencyChart(
      [
        { ago: 3, p50: 0.2, p95: 0.5 },
        { ago: 2, p50: 0.3, p95: 1 },
        { ago: 0, p50: 0.1, p95: 0.1 },
      ],
      60,
    ).value;
    expect(svg.match(/<polyline class="line-p95"/g)).toHaveLength(1);
    expect(svg.match(/<circle class="line-p50"/g)).toHaveLength(1);
    expect(svg).toContain("p50 up to 300 ms, p95 up to 1.0 s");
    expect(latencyChart([], 60).value).toContain("No deliveries in the last 60 minutes");
  });
});
