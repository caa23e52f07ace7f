// Every operator action, through either door (the admin API with a named token, the console with a session opened
// by that token), leaves exactly one audit row naming its actor: ok for a role that may take it, refused (403,
// naming the role needed) for one that may not. A table of actions × doors × roles.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuditRow, queryAudit } from "../../src/store/index.ts";
import type { OperatorAction, Role } from "../../src/sync/actions/index.ts";
import { user } from "../support/app.ts";
import { ADMIN_TOKEN, AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { BACKENDS } from "../support/store.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";

const TOKENS: Record<Role, string> = {
  viewer: "viewer-token-0123456789abcdef",
  operator: "operator-token-0123456789abcdef",
  admin: "admin-named-token-0123456789abcdef",
};
type Door = "admin-api" | "console";

describe.each(BACKENDS)("operator actions are audited once, whichever door (%s)", (backend) => {
  let target: RunningTestTarget;
  let t: TestBridge;
  const consoleSession: Record<string, { cookie: string; csrf: string }> = {};
  let n = 0;

  beforeAll(async () => {
    target = await startTestTarget();
    t = await startTestBridge({
      backend,
      targets: [{ name: "accounts", kind: "test", url: target.url }],
      config: {
        sync: { maxAttempts: 1 },
        auth: {
          admin: {
            tokens: (["viewer", "operator", "admin"] as Role[]).map((role) => ({
              name: `${role}-token`,
              token: TOKENS[role],
              role,
            })),
          },
        },
      },
    });
    for (const [who, token] of [...Object.entries(TOKENS), ["break-glass", ADMIN_TOKEN]] as const) {
      const res = await t.request.post("/console/sign-in").type("form").send({ token });
      expect(res.status).toBe(303);
      const cookie = String(res.headers["set-cookie"]?.[0]).split(";")[0]!;
      const page = await t.request.get("/console/work").set("Cookie", cookie);
      consoleSession[who] = { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(page.text)![1]! };
    }
  });
  afterAll(async () => {
    await t?.stop();
    await target?.close();
  });

  /** A user delivered to the target. */
  const syncedUser = async () => {
    const res = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send(user(`u${++n}@example.com`));
    expect(res.status).toBe(201);
    await eventually(() => [...target.accounts.values()].some((a) => a.key === `u${n}@example.com`));
    return res.body.id as string;
  };
  /** A user whose delivery failed for good: its dead job's id. */
  const deadJob = async () => {
    const name = `dead${++n}@example.com`;
    target.rejectKeys.add(name);
    const res = await t.request.post("/scim/v2/Users").set(AUTH).send(user(name));
    const id = res.body.id as string;
    const job = await eventually(async () => {
      const r = await t.request
        .get("/admin/jobs")
        .query({ state: "dead", resourceId: id })
        .set(AUTH_OF.admin);
      return r.body.jobs?.[0];
    });
    return { jobId: job.id as number, resourceId: id };
  };
  const AUTH_OF = Object.fromEntries(
    Object.entries(TOKENS).map(([role, token]) => [role, { Authorization: `Bearer ${token}` }]),
  ) as unknown as Record<Role, Record<string, string>>;

  /** A finished console dry run (started by an admin), for the console's Apply. */
  const dryRun = async (kind: "reconcile" | "import") => {
    const s = consoleSession.admin!;
    const res = await t.request
      .post("/console/runs")
      .set("Cookie", s.cookie)
      .type("form")
      .send({ _csrf: s.csrf, kind, target: "accounts" });
    const path = String(res.headers.location);
    await eventually(async () => {
      const page = await t.request
        .get(`/console/live${path.replace("/console", "")}`)
        .set("Cookie", s.cookie);
      return page.text.includes("data-live-done");
    });
    return path;
  };

  type Send = (door: Door, who: string) => Promise<{ status: number }>;
  const api = (path: string, body: object) => (who: string) =>
    t.request
      .post(path)
      .set(who === "break-glass" ? { Authorization: `Bearer ${ADMIN_TOKEN}` } : AUTH_OF[who as Role])
      .send(body);
  const form = (path: string, body: Record<string, string>) => (who: string) => {
    const s = consoleSession[who]!;
    return t.request
      .post(path)
      .set("Cookie", s.cookie)
      .type("form")
      .send({ _csrf: s.csrf, ...body });
  };

  /** Each action: how each door asks for it (on fresh state), and whether runs finish after the answer. */
  const ACTIONS: { action: OperatorAction; send: () => Promise<Send>; background?: boolean }[] = [
    {
      action: "operator.retry",
      send: async () => {
        const { jobId } = await deadJob();
        return (door, who) =>
          door === "admin-api"
            ? api(`/admin/jobs/${jobId}/retry`, {})(who)
            : form("/console/work/retry", { job: String(jobId) })(who);
      },
    },
    {
      action: "operator.retry-all",
      send: async () => (door, who) =>
        door === "admin-api"
          ? api("/admin/jobs/retry", { target: "accounts" })(who)
          : form("/console/work/retry-all", { target: "accounts" })(who),
    },
    {
      action: "operator.retry-resource",
      send: async () => {
        const { resourceId } = await deadJob();
        return (door, who) =>
          door === "admin-api"
            ? api(`/admin/resources/${resourceId}/retry`, {})(who)
            : form(`/console/users/${resourceId}/retry`, {})(who);
      },
    },
    {
      action: "operator.provision",
      send: async () => {
        const id = await syncedUser();
        return (door, who) =>
          door === "admin-api"
            ? api(`/admin/resources/${id}/provision`, { target: "accounts" })(who)
            : form(`/console/users/${id}/provision`, { target: "accounts" })(who);
      },
    },
    {
      action: "operator.release",
      send: async () => (door, who) =>
        door === "admin-api"
          ? api("/admin/targets/accounts/release", {})(who)
          : form("/console/work/release", { target: "accounts", scope: "all" })(who),
    },
    {
      action: "operator.reconcile.dry-run",
      background: true,
      send: async () => (door, who) =>
        door === "admin-api"
          ? api("/admin/reconcile", { target: "accounts" })(who)
          : form("/console/runs", { kind: "reconcile", target: "accounts" })(who),
    },
    {
      action: "operator.reconcile.apply",
      background: true,
      send: async () => {
        const run = await dryRun("reconcile");
        return (door, who) =>
          door === "admin-api"
            ? api("/admin/reconcile", { target: "accounts", apply: true })(who)
            : form(`${run}/apply`, {})(who);
      },
    },
    {
      action: "operator.import.dry-run",
      background: true,
      send: async () => (door, who) =>
        door === "admin-api"
          ? api("/admin/import", { from: "accounts" })(who)
          : form("/console/runs", { kind: "import", target: "accounts" })(who),
    },
    {
      action: "operator.import.apply",
      background: true,
      send: async () => {
        const run = await dryRun("import");
        return (door, who) =>
          door === "admin-api"
            ? api("/admin/import", { from: "accounts", apply: true })(who)
            : form(`${run}/apply`, {})(who);
      },
    },
  ];
  const NEEDS: Record<OperatorAction, Role> = {
    "operator.retry": "operator",
    "operator.retry-all": "operator",
    "operator.retry-resource": "operator",
    "operator.provision": "operator",
    "operator.release": "admin",
    "operator.reconcile.dry-run": "operator",
    "operator.reconcile.apply": "operator",
    "operator.import.dry-run": "operator",
    "operator.import.apply": "operator",
    "operator.acknowledge": "admin",
  };
  const WHO: [string, Role, string][] = [
    ["viewer", "viewer", "viewer-token"],
    ["operator", "operator", "operator-token"],
    ["admin", "admin", "admin-token"],
    ["break-glass", "admin", "admin"],
  ];
  const rank = (r: Role) => ["viewer", "operator", "admin"].indexOf(r);

  /** Rows naming this actor after `mark`, except the dispatcher's deliveries and SCIM writes. */
  const rowsOf = async (actor: string, mark: number): Promise<AuditRow[]> =>
    (await queryAudit(t.store.db, { actor }, { limit: 1000 })).filter((e) => e.id > mark);
  const lastId = async () =>
    Number((await t.store.db.query<{ n: number }>("SELECT coalesce(max(id), 0) AS n FROM audit")).rows[0]?.n);

  for (const { action, send, background } of ACTIONS)
    for (const door of ["admin-api", "console"] as Door[])
      it(`${action} through ${door}: one audit row per actor, refused below ${NEEDS[action]}`, async () => {
        for (const [who, role, actor] of WHO) {
          const request = await send();
          const allowed = rank(role) >= rank(NEEDS[action]);
          const mark = await lastId();
          const res = await request(door, who);
          expect(res.status, `${who}: ${JSON.stringify((res as { body?: unknown }).body)}`).toBe(
            allowed ? (door === "console" ? 303 : 200) : 403,
          );
          const rows =
            background && allowed
              ? await eventually(async () => {
                  const r = await rowsOf(actor, mark);
                  return r.length ? r : undefined;
                })
              : await rowsOf(actor, mark);
          expect(rows.map((r) => [r.action, r.outcome])).toEqual([[action, allowed ? "ok" : "refused"]]);
          const row = rows[0]!;
          expect(row.source).toMatch(/127\.0\.0\.1/);
          expect(row.detail).toMatchObject({ door, role });
          if (!allowed)
            expect((row.detail as { message: string }).message).toContain(`needs the role ${NEEDS[action]}`);
          if (allowed) expect(row.target ?? row.resourceId).toBeTruthy();
        }
      });
});
