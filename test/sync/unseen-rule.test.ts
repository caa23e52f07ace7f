// The rule of sync/unseen-changes, case by case: which writes a target whose view of the user is unchanged still
// gets. The outbox writer's early plan is asked directly, with a target whose view is the user's title.
import { describe, expect, it } from "vitest";
import type { Change } from "../../src/directory/index.ts";
import type { Queryable } from "../../src/store/index.ts";
import { outboxWriter } from "../../src/sync/index.ts";
import type { DesiredUser, Target } from "../../src/targets/target.ts";

const target = (withView: boolean) =>
  ({
    name: "t",
    kind: "test",
    batchSize: 10,
    usesGroups: false,
    apply: async () => [],
    check: async () => ({ ok: true, checks: [] }),
    listUsers: async function* () {},
    ...(withView
      ? { userView: (u: DesiredUser) => ({ title: u.data.title ?? null, active: u.active }) }
      : {}),
  }) as unknown as Target;

const noQueries = {
  query: () => Promise.reject(new Error("no query expected")),
} as unknown as Queryable;

function change(opts: {
  state?: string;
  titleAfter?: string;
  activeAfter?: boolean;
  password?: string;
  action?: "update" | "create";
}): Change {
  const before = { userName: "a@example.com", title: "Analyst", displayName: "A", active: true };
  const after = {
    ...before,
    displayName: "B",
    title: opts.titleAfter ?? "Analyst",
    active: opts.activeAfter ?? true,
  };
  const stored = (data: Record<string, unknown>, version: number) => ({
    type: "User" as const,
    id: "00000000-0000-4000-8000-000000000001",
    data,
    version,
    created: new Date(0),
    lastModified: new Date(0),
  });
  return {
    type: "User",
    id: "00000000-0000-4000-8000-000000000001",
    action: opts.action ?? "update",
    ...(opts.action === "create" ? {} : { before: stored(before, 1) }),
    after: stored(after, 2),
    ...(opts.password ? { password: opts.password } : {}),
    ...(opts.state ? { status: [{ target: "t", state: opts.state }] } : {}),
    ctx: {},
  } as Change;
}

const jobsFor = async (c: Change, withView = true) => {
  const writer = outboxWriter({
    targets: [{ name: "t", target: target(withView) }],
    userSchema: {} as never,
    breaker: { windowMs: 60_000, maxCount: 0, maxPercent: 0 },
  });
  return (await writer.planEarly!(noQueries, c))!.jobs.length;
};

describe("a change the target's view does not see", () => {
  it.each([
    ["synced: nothing to send", { state: "synced" }, 0],
    ["pending: the queued delivery sends the state it finds", { state: "pending" }, 0],
    ["failed: any write retries it", { state: "failed" }, 1],
    ["held: an admin decides, the write still queues", { state: "held" }, 1],
    ["never delivered (no status)", {}, 1],
    ["a password always goes", { state: "synced", password: "S3cret!pass" }, 1],
    ["a create always goes", { state: "synced", action: "create" as const }, 1],
  ])("%s", async (_, opts, jobs) => {
    expect(await jobsFor(change(opts))).toBe(jobs);
  });

  it("is sent when the view changes (the title), or the active flag does", async () => {
    expect(await jobsFor(change({ state: "synced", titleAfter: "Engineer" }))).toBe(1);
    expect(await jobsFor(change({ state: "synced", activeAfter: false }))).toBe(1);
  });

  it("is sent to a target that does not say what it reads", async () => {
    expect(await jobsFor(change({ state: "synced" }), false)).toBe(1);
  });
});
