// coalesceWait: how long a worker lets a partial batch fill before claiming it, one row per case. No job ever waits
// more than the window past the moment it became due.
import { describe, expect, it } from "vitest";
import { coalesceWait, type DueWork } from "../../src/sync/coalesce.ts";

const opts = { windowMs: 250, batchSize: 200 };

describe("coalesceWait", () => {
  it.each<[string, DueWork, typeof opts, number | "nothing"]>([
    [
      "nothing due: nothing to claim (the worker idles without asking)",
      { jobs: 0, oldestDueMs: 0 },
      opts,
      "nothing",
    ],
    [
      "nothing due but a crashed worker's lease ran out: claim now (take it over)",
      { jobs: 0, oldestDueMs: 0, leaseExpired: true },
      opts,
      0,
    ],
    [
      "a partial batch beside an expired lease: claim now",
      { jobs: 3, oldestDueMs: 0, leaseExpired: true },
      opts,
      0,
    ],
    ["one update just arrived: wait out the window", { jobs: 1, oldestDueMs: 0 }, opts, 250],
    [
      "a partial batch whose oldest job waited 100 ms: the rest of the window",
      { jobs: 30, oldestDueMs: 100 },
      opts,
      150,
    ],
    ["the oldest job already waited the window: claim now", { jobs: 30, oldestDueMs: 250 }, opts, 0],
    ["a job overdue (a retry that fell due long ago): claim now", { jobs: 1, oldestDueMs: 60_000 }, opts, 0],
    ["a full batch: claim now", { jobs: 200, oldestDueMs: 0 }, opts, 0],
    ["coalescing off (0): claim now", { jobs: 1, oldestDueMs: 0 }, { ...opts, windowMs: 0 }, 0],
    [
      "a target taking one record per call: a single job is a full batch",
      { jobs: 1, oldestDueMs: 0 },
      { ...opts, batchSize: 1 },
      0,
    ],
    ["fractions round up, never past the window", { jobs: 2, oldestDueMs: 0.4 }, opts, 250],
  ])("%s", (_why, due, o, expected) => {
    expect(coalesceWait(due, o)).toBe(expected);
  });
});
