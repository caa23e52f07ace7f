// The chaos scenario of issue #10, shared by test/sync/chaos.test.ts (CI size) and bench/chaos.ts (larger): both
// emulators behind our fault proxy, two bridge processes on one PostgreSQL schema, a load of creates, updates,
// deactivations, reactivations, deletes and group changes under faults, one process SIGKILLed mid-load, then
// faults off. Sessions end now and then and the sign-in after each is refused once (refuseSomeSignIns). The outcome
// is read back through the emulators' own REST APIs and compared with the store.
import {
  type RunningSalesforceEmulator,
  salesforceEmulatorTargetConfig,
  startSalesforceEmulator,
} from "../../src/emulators/salesforce/index.ts";
import { type RunningTableauEmulator, startTableauEmulator } from "../../src/emulators/tableau/index.ts";
import { user } from "./app.ts";
import { eventually } from "./bridge.ts";
import { type FaultProxy, startFaultProxy } from "./fault-proxy.ts";
import { type BridgeProcess, schemaUrl, spawnBridge } from "./process.ts";
import { salesforceConnection } from "./salesforce.ts";
import { openTestDb, type TestDb } from "./store.ts";
import { tableauCheckSite } from "./tableau.ts";

const TOKEN = "chaos-test-token-0123456789";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

export interface ChaosOptions {
  users: number;
  groups: number;
  /** Share of requests to the targets that fail while the load runs (0..1). */
  faultRate: number;
  log?: (line: string) => void;
}

export interface ChaosResult {
  users: number;
  groups: number;
  faultsInjected: number;
  faultsByKind: Record<string, number>;
  kills: number;
  /** From the last SCIM write (faults still on) to an empty queue. */
  convergeMs: number;
  /** From faults off to an empty queue (0 when the queue drained while faults were on). */
  afterFaultsOffMs: number;
  missing: number;
  duplicate: number;
  wrong: number;
  orphaned: number;
  dead: number;
  /** What was wrong, for the failure message. */
  problems: string[];
}

async function scim(url: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}/scim/v2${path}`, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/scim+json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** A write that must happen: on a dead process or a lost answer it is repeated on the next live one. */
async function must<T>(urls: () => string[], attempt: (url: string) => Promise<T | undefined>): Promise<T> {
  let last: unknown;
  for (let i = 0; ; i++) {
    const live = urls();
    const url = live[i % live.length]!;
    try {
      const out = await attempt(url);
      if (out !== undefined) return out;
    } catch (e) {
      last = e; // the process died under us, or said why; try again
    }
    if (i > 50) throw new Error(`a SCIM write kept failing: ${String(last)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function findId(url: string, type: "Users" | "Groups", attr: string, value: string) {
  const filter = encodeURIComponent(`${attr} eq "${value}"`);
  const res = await scim(url, "GET", `/${type}?filter=${filter}`);
  const found = (res.body.Resources as { id: string }[] | undefined)?.[0];
  return found?.id;
}

/** How many sessions end during the load, per target, each followed by a sign-in that is refused once. */
const SIGN_IN_REFUSALS = 4;

/**
 * Sessions end now and then during the load (every so many calls), and the sign-in after each is refused once while
 * the same credentials keep signing in fine: as in issue #26, where one refused Tableau sign-in parked 7 jobs for 5
 * minutes. Scripted faults come before the random ones and stop with them.
 */
function refuseSomeSignIns(tproxy: FaultProxy, sproxy: FaultProxy) {
  const tableauSignIn = { method: "POST", path: /\/auth\/signin$/ };
  const salesforceToken = { method: "POST", path: /\/services\/oauth2\/token$/ };
  for (let i = 0; i < SIGN_IN_REFUSALS; i++) {
    // Early enough that a small load, its updates coalesced into few calls, still ends each session.
    tproxy.once({ path: /\/sites\/[^/]+\// }, "401-tableau", 1, 6);
    sproxy.once({ path: /\/services\/data\// }, "401-salesforce-session", 1, 4);
    // The two processes' first sign-ins work; then every other sign-in is refused.
    tproxy.once(tableauSignIn, "401-tableau-signin", 1, i === 0 ? 2 : 1, { untouched: true });
    sproxy.once(salesforceToken, "400-salesforce-token", 1, i === 0 ? 2 : 1, { untouched: true });
  }
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosResult> {
  const log = opts.log ?? (() => {});
  let store: TestDb | undefined;
  let tableau: RunningTableauEmulator | undefined;
  let salesforce: RunningSalesforceEmulator | undefined;
  const proxies: FaultProxy[] = [];
  const procs: BridgeProcess[] = [];
  try {
    store = await openTestDb("postgres");
    tableau = await startTableauEmulator({ port: 0, apiVersion: "3.25" });
    salesforce = await startSalesforceEmulator({ port: 0 });
    const tproxy = await startFaultProxy(tableau.url, { slowMs: 200 });
    const sproxy = await startFaultProxy(salesforce.url, { slowMs: 200 });
    proxies.push(tproxy, sproxy);
    const o = tableau.options;
    const config = {
      targets: [
        {
          name: "tableau",
          kind: "tableau",
          serverUrl: tproxy.url,
          // A connected app: with several processes a PAT would keep ending the other's sessions (README).
          auth: {
            jwt: {
              clientId: o.clientId,
              secretId: o.secretId,
              secretValue: o.secretValue,
              username: o.adminName,
            },
          },
          timeoutMs: 3000,
        },
        { ...salesforceEmulatorTargetConfig(sproxy.url), timeoutMs: 3000 },
      ],
    };
    const env = {
      SYNC_WAIT_MS: "0",
      SYNC_LEASE_MS: "3000",
      SYNC_POLL_MS: "100",
      SYNC_BACKOFF_BASE_MS: "100",
      SYNC_BACKOFF_MAX_MS: "2000",
      // Faults hit every call of a delivery, and the load phase lasts a while: the budget outlives the chaos.
      SYNC_MAX_ATTEMPTS: "200",
      // Deliveries run beside the load instead of giving way to it, so the faults and the kill land among them.
      SYNC_YIELD_MS: "0",
      BREAKER_MAX_DEPROVISIONS: "0",
      BREAKER_MAX_PERCENT: "0",
    };
    const databaseUrl = schemaUrl(process.env.DATABASE_URL!, store.schema!);
    for (let i = 0; i < 2; i++) procs.push(await spawnBridge({ databaseUrl, token: TOKEN, config, env }));
    const live = () => procs.filter((p) => p.child.exitCode === null && !p.child.killed).map((p) => p.url);

    tproxy.random(opts.faultRate);
    sproxy.random(opts.faultRate);
    refuseSomeSignIns(tproxy, sproxy);
    log(
      `faults on (${Math.round(opts.faultRate * 100)}% of target calls), ${opts.users} users, ${opts.groups} groups`,
    );

    const names = Array.from({ length: opts.users }, (_, i) => `chaos${i}@example.com`);
    const ids = new Map<string, string>();
    let kills = 0;
    const createUser = (n: string) =>
      must(live, async (url) => {
        const r = await scim(url, "POST", "/Users", user(n, { displayName: `Chaos ${n}` }));
        if (r.status === 201) return r.body.id as string;
        return findId(url, "Users", "userName", n);
      });
    // Creates from 8 clients over both processes; the first process is killed half-way.
    const queue = [...names];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (queue.length) {
          const n = queue.shift()!;
          ids.set(n, await createUser(n));
          if (!kills && ids.size >= opts.users / 2) {
            kills++;
            procs[0]!.child.kill("SIGKILL");
            log(`SIGKILL process 1 after ${ids.size} creates`);
          }
        }
      }),
    );
    const groupNames = Array.from({ length: opts.groups }, (_, i) => `Chaos Group ${i}`);
    const groupIds = new Map<string, string>();
    for (const [gi, g] of groupNames.entries()) {
      const members = names
        .filter((_, i) => i % opts.groups === gi || i % 7 === gi % 7)
        .map((n) => ({ value: ids.get(n)! }));
      groupIds.set(
        g,
        await must(live, async (url) => {
          const r = await scim(url, "POST", "/Groups", { schemas: [GROUP], displayName: g, members });
          if (r.status === 201) return r.body.id as string;
          return findId(url, "Groups", "displayName", g);
        }),
      );
    }
    // Updates, deactivations, deletes, reactivations and membership changes.
    const patchUser = (n: string, value: Record<string, unknown>) =>
      must(live, async (url) => {
        const r = await scim(url, "PATCH", `/Users/${ids.get(n)}`, {
          schemas: [PATCH],
          Operations: [{ op: "replace", value }],
        });
        return r.status === 200 ? true : undefined;
      });
    const deleted = new Set<string>();
    await Promise.all(
      names.map(async (n, i) => {
        if (i % 3 === 0) await patchUser(n, { title: `Title ${i}` });
        if (i % 6 === 1) await patchUser(n, { active: false });
        if (i % 12 === 1) await patchUser(n, { active: true });
        if (i % 6 === 2) {
          await must(live, async (url) => {
            const r = await scim(url, "DELETE", `/Users/${ids.get(n)}`);
            return r.status === 204 || r.status === 404 ? true : undefined;
          });
          deleted.add(n);
        }
      }),
    );
    for (const [gi, g] of groupNames.entries()) {
      const drop = names.filter((n, i) => i % opts.groups === gi && i % 5 === 0 && !deleted.has(n));
      const add = names.filter(
        (n, i) => i % opts.groups === (gi + 1) % opts.groups && i % 4 === 3 && !deleted.has(n),
      );
      if (!drop.length && !add.length) continue;
      await must(live, async (url) => {
        const r = await scim(url, "PATCH", `/Groups/${groupIds.get(g)}`, {
          schemas: [PATCH],
          Operations: [
            ...drop.map((n) => ({ op: "remove", path: `members[value eq "${ids.get(n)}"]` })),
            ...(add.length
              ? [{ op: "add", path: "members", value: add.map((n) => ({ value: ids.get(n) })) }]
              : []),
          ],
        });
        if (r.status === 200 || r.status === 204) return true;
        throw new Error(`group PATCH answered ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
      });
    }

    const loadDone = Date.now();
    // Keep the faults on while delivery runs, until enough faults have hit the deliveries: when the queue drains
    // first (deliveries that need fewer calls), more title changes give the faults more calls to hit, so the run's
    // strength does not depend on how quickly this machine delivered the load.
    const injected = () =>
      proxies.reduce((n, p) => n + Object.values(p.injected).reduce((a, b) => a + b, 0), 0);
    const enough = Math.max(40, opts.users);
    const open = async () =>
      Number(
        (
          await store!.db.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM outbox WHERE state IN ('pending', 'running', 'held')",
          )
        ).rows[0]?.n,
      );
    // What the open work waits on, by target, state and code, and the sign-in history: said when a wait runs out.
    const explain = async () => {
      const { rows } = await store!.db.query(
        `SELECT target, state, last_error_code AS code, count(*)::int AS jobs,
            round(extract(epoch FROM min(not_before) - now()))::int AS due_in_s,
            round(extract(epoch FROM max(not_before) - now()))::int AS last_due_in_s
          FROM outbox WHERE state IN ('pending', 'running', 'held')
          GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      );
      const signIns = (await store!.db.query("SELECT * FROM target_signins ORDER BY target")).rows;
      return `open work ${JSON.stringify(rows)}; sign-ins ${JSON.stringify(signIns)}`;
    };
    const waitOrExplain = async (what: string, check: () => Promise<boolean>) => {
      try {
        await eventually(check, 300_000, 100);
      } catch (e) {
        const timedOut = `${what}: ${(e as Error).message}; ${injected()} faults`;
        const explained = await explain().catch(
          (why: unknown) => `(could not read the open work: ${String(why)})`,
        );
        throw new Error(`${timedOut}; ${explained}`);
      }
    };
    const survivors = names.filter((n) => !deleted.has(n));
    for (let round = 0; injected() < enough && round < 50; round++) {
      await waitOrExplain(
        "open work neither drained nor met enough faults",
        async () => injected() >= enough || (await open()) === 0,
      );
      if (injected() >= enough) break;
      const some = survivors.filter((_, i) => i % 50 === round % 50 || i % 7 === round % 7);
      await Promise.all(some.map((n) => patchUser(n, { title: `Retitled ${round}` })));
    }
    tproxy.off();
    sproxy.off();
    const faultsByKind: Record<string, number> = {};
    for (const p of proxies)
      for (const [k, v] of Object.entries(p.injected)) faultsByKind[k] = (faultsByKind[k] ?? 0) + v;
    const faultsInjected = Object.values(faultsByKind).reduce((a, b) => a + b, 0);
    log(`faults off after ${faultsInjected} injected; waiting for the queue to drain`);
    const off = Date.now();
    const db = store.db;
    await waitOrExplain("the queue did not drain after the faults stopped", async () => (await open()) === 0);
    const afterFaultsOffMs = Date.now() - off;
    const convergeMs = Date.now() - loadDone;
    const dead = Number(
      (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE state = 'dead'")).rows[0]
        ?.n,
    );
    log(
      `queue empty ${convergeMs} ms after the last write, ${afterFaultsOffMs} ms after faults off; ${dead} dead`,
    );

    // What the store says.
    const users = (
      await db.query<{ user_name: string; active: boolean }>("SELECT user_name, active FROM users")
    ).rows;
    const activeOf = new Map(users.map((u) => [u.user_name.toLowerCase(), u.active]));
    const { rows: memberRows } = await db.query<{ display_name: string; user_name: string }>(
      `SELECT g.display_name, u.user_name FROM group_members m JOIN groups g ON g.id = m.group_id
         JOIN users u ON u.id = m.member_id WHERE u.active`,
    );
    const wantMembers = new Map(groupNames.map((g) => [g, new Set<string>()]));
    for (const r of memberRows) wantMembers.get(r.display_name)?.add(r.user_name.toLowerCase());

    // What the targets say, through their REST APIs.
    const site = tableauCheckSite(tableau);
    const siteUsers = new Map<string, { active: boolean }[]>();
    const nameOfId = new Map<string, string>();
    for await (const page of site.listUsers())
      for (const a of page) {
        const k = a.key.toLowerCase();
        siteUsers.set(k, [...(siteUsers.get(k) ?? []), { active: a.active }]);
        nameOfId.set(a.targetId, k);
      }
    const siteGroups = new Map<string, Set<string>>();
    for await (const page of site.listGroups!())
      for (const g of page)
        siteGroups.set(g.displayName, new Set((g.memberTargetIds ?? []).map((id) => nameOfId.get(id) ?? id)));
    await site.close?.();

    const conn = await salesforceConnection(salesforce.url);
    const sfRows = await conn.query<{ Id: string; Username: string; IsActive: boolean }>(
      "SELECT Id, Username, IsActive FROM User",
      { autoFetch: true, maxFetch: 100_000 },
    );
    const sfUsers = new Map<string, { active: boolean }[]>();
    const sfName = new Map<string, string>();
    for (const r of sfRows.records) {
      const k = r.Username.toLowerCase();
      sfUsers.set(k, [...(sfUsers.get(k) ?? []), { active: r.IsActive }]);
      sfName.set(r.Id.slice(0, 15), k);
    }
    const sfGroups = new Map<string, Set<string>>();
    const groupRows = await conn.query<{ Id: string; Name: string }>(
      "SELECT Id, Name FROM Group WHERE Type = 'Regular'",
    );
    for (const g of groupRows.records) {
      const members = await conn.query<{ UserOrGroupId: string }>(
        `SELECT UserOrGroupId FROM GroupMember WHERE GroupId = '${g.Id}'`,
        { autoFetch: true, maxFetch: 100_000 },
      );
      sfGroups.set(
        g.Name,
        new Set(members.records.map((m) => sfName.get(m.UserOrGroupId.slice(0, 15)) ?? m.UserOrGroupId)),
      );
    }

    const problems: string[] = [];
    let missing = 0;
    let duplicate = 0;
    let wrong = 0;
    let orphaned = 0;
    for (const [targetName, accounts, groups] of [
      ["tableau", siteUsers, siteGroups],
      ["salesforce", sfUsers, sfGroups],
    ] as const) {
      for (const n of names.map((x) => x.toLowerCase())) {
        const found = accounts.get(n) ?? [];
        if (found.length > 1) {
          duplicate++;
          problems.push(`${targetName}: ${found.length} accounts for ${n}`);
        }
        const want = activeOf.get(n);
        const active = found.some((a) => a.active);
        if (want === undefined) {
          if (active) {
            orphaned++;
            problems.push(`${targetName}: deleted ${n} is still active`);
          }
        } else if (want && !active) {
          missing++;
          problems.push(`${targetName}: ${n} has no active account`);
        } else if (!want && active) {
          wrong++;
          problems.push(`${targetName}: deactivated ${n} is still active`);
        }
      }
      for (const [g, want] of wantMembers) {
        const have = groups.get(g) ?? new Set<string>();
        const diff =
          [...want].filter((m) => !have.has(m)).length + [...have].filter((m) => !want.has(m)).length;
        if (diff) {
          wrong++;
          problems.push(`${targetName}: group ${g} differs by ${diff} member(s)`);
        }
      }
    }
    return {
      users: opts.users,
      groups: opts.groups,
      faultsInjected,
      faultsByKind,
      kills,
      convergeMs,
      afterFaultsOffMs,
      missing,
      duplicate,
      wrong,
      orphaned,
      dead,
      problems,
    };
  } finally {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.exited));
    for (const p of proxies) await p.close();
    await tableau?.close();
    await salesforce?.close();
    await store?.close();
  }
}
