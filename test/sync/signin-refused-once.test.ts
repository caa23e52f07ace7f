// Issue #26 point 2: a sign-in refused once, while the same credentials keep working, must not park the work for
// minutes; and a sign-in that works, in any process sharing the store, wakes the work parked on refused credentials
// at once. The fault proxy sits between the bridge and each emulator; the refusals are the targets' real answers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { salesforceEmulatorTargetConfig } from "../../src/emulators/salesforce/index.ts";
import { tableauEmulatorTargetConfig } from "../../src/emulators/tableau/index.ts";
import { credentialsParked } from "../../src/sync/index.ts";
import { user } from "../support/app.ts";
import { ADMIN, AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { bothEmulators } from "../support/emulators.ts";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.ts";
import { BACKENDS } from "../support/store.ts";

const TABLEAU_SIGNIN = { method: "POST", path: /\/auth\/signin$/ };
const TABLEAU_SITE_CALL = { path: /\/sites\/[^/]+\// };
const SALESFORCE_TOKEN = { method: "POST", path: /\/services\/oauth2\/token$/ };
const SALESFORCE_DATA_CALL = { path: /\/services\/data\// };

type Job = { state: string; target: string; lastErrorCode: string | null };

describe.each(BACKENDS)("a refused sign-in (%s)", (backend) => {
  const emulators = bothEmulators();
  let tproxy: FaultProxy;
  let sproxy: FaultProxy;
  const bridges: TestBridge[] = [];
  beforeAll(async () => {
    tproxy = await startFaultProxy(emulators.tableau.url);
    sproxy = await startFaultProxy(emulators.salesforce.url);
  });
  afterAll(async () => {
    for (const b of bridges.reverse()) await b.stop();
    await tproxy?.close();
    await sproxy?.close();
  });

  const start = async (store?: TestBridge["store"]) => {
    const b = await startTestBridge({
      backend,
      ...(store ? { store } : {}),
      config: { sync: { waitForDeliveryMs: 0 } },
      targets: [tableauEmulatorTargetConfig(tproxy.url), salesforceEmulatorTargetConfig(sproxy.url)],
    });
    bridges.push(b);
    return b;
  };
  const jobs = async (t: TestBridge, id: string) =>
    (await t.request.get(`/admin/jobs?resourceId=${id}`).set(ADMIN)).body.jobs as Job[];
  const settled = (t: TestBridge, id: string) =>
    eventually(async () => {
      const js = await jobs(t, id);
      return js.length === 2 && js.every((j) => j.state === "done");
    }, 20_000);

  it("is retried shortly, not parked, when the same credentials signed in a moment ago", async () => {
    const t = await start();
    const warm = await t.request.post("/scim/v2/Users").set(AUTH).send(user("warm@example.com")).expect(201);
    await settled(t, warm.body.id);
    // Each target's session ends, and the sign-in that follows is refused once; the next one works.
    tproxy.once(TABLEAU_SITE_CALL, "401-tableau");
    tproxy.once(TABLEAU_SIGNIN, "401-tableau-signin");
    sproxy.once(SALESFORCE_DATA_CALL, "401-salesforce-session");
    sproxy.once(SALESFORCE_TOKEN, "400-salesforce-token");
    const ids: string[] = [];
    for (let i = 0; i < 7; i++)
      ids.push(
        (
          await t.request
            .post("/scim/v2/Users")
            .set(AUTH)
            .send(user(`burst${i}@example.com`))
            .expect(201)
        ).body.id,
      );
    // Before the fix each refusal parked its batch for 5 minutes: these never settled within the test.
    for (const id of ids) await settled(t, id);
    expect(tproxy.injected["401-tableau-signin"]).toBe(1);
    expect(sproxy.injected["400-salesforce-token"]).toBe(1);
    const { rows } = await t.store.db.query<{ target: string; code: string }>(
      "SELECT DISTINCT target, last_error_code AS code FROM outbox WHERE last_error_code IS NOT NULL ORDER BY 1, 2",
    );
    expect(rows).toEqual([
      { target: "salesforce", code: "TARGET_SIGNIN_REFUSED" },
      { target: "tableau", code: "TARGET_SIGNIN_REFUSED" },
    ]);
    await t.stop();
    bridges.splice(bridges.indexOf(t), 1);
  });

  it("parks work on credentials that never worked, and a success in another process wakes it at once", async () => {
    // The first process's very first sign-ins are refused: nothing says these credentials ever worked.
    tproxy.once(TABLEAU_SIGNIN, "401-tableau-signin");
    sproxy.once(SALESFORCE_TOKEN, "400-salesforce-token");
    const first = await start();
    const parked = await first.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send(user("parked@example.com"))
      .expect(201);
    await eventually(async () => {
      const js = await jobs(first, parked.body.id);
      return js.length === 2 && js.every((j) => j.lastErrorCode === "TARGET_CREDENTIALS_REJECTED");
    });
    // Parked, and so the target shows unhealthy (what /admin/targets adds to the target's own checks).
    expect([...(await credentialsParked(first.store.db)).keys()].sort()).toEqual(["salesforce", "tableau"]);
    // The first process stops delivering; a second one on the same store signs in for work of its own.
    await first.bridge.dispatcher.stop();
    const second = await start(first.store);
    const own = await second.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send(user("own@example.com"))
      .expect(201);
    await settled(second, own.body.id);
    // The parked work was due in 5 minutes: the second process's sign-ins made it due now.
    await settled(second, parked.body.id);
  });
});
