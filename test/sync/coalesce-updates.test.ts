// Issue #26 point 9: updates arriving one by one (an IdP's PATCHes, spaced out) go out to Salesforce in fewer calls
// with the coalescing window on than off; counted by the Salesforce emulator, no timing asserted.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type RunningSalesforceEmulator,
  salesforceEmulatorTargetConfig,
  startSalesforceEmulator,
} from "../../src/emulators/salesforce/index.ts";
import { user } from "../support/app.ts";
import { AUTH, outboxDrained, startTestBridge } from "../support/bridge.ts";
import { BACKENDS } from "../support/store.ts";

const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const USERS = 24;

describe.each(BACKENDS)("updates arriving one by one (%s)", (backend) => {
  let emu: RunningSalesforceEmulator;
  beforeAll(async () => {
    emu = await startSalesforceEmulator({ port: 0 });
  });
  afterAll(async () => {
    await emu?.close();
  });

  /** Salesforce data API calls to deliver USERS title changes PATCHed one at a time, spaced out. */
  async function callsFor(coalesceMs: number, prefix: string): Promise<number> {
    const t = await startTestBridge({
      backend,
      config: { sync: { waitForDeliveryMs: 0, coalesceMs, yieldMs: 0 } },
      targets: [salesforceEmulatorTargetConfig(emu.url)],
    });
    try {
      const queueEmpty = () => outboxDrained(t, 30_000);
      const ids: string[] = [];
      for (let i = 0; i < USERS; i++)
        ids.push(
          (
            await t.request
              .post("/scim/v2/Users")
              .set(AUTH)
              .send(user(`${prefix}${i}@example.com`))
              .expect(201)
          ).body.id,
        );
      await queueEmpty();
      emu.stats.reset();
      for (const [i, id] of ids.entries()) {
        await t.request
          .patch(`/scim/v2/Users/${id}`)
          .set(AUTH)
          .send({ schemas: [PATCH], Operations: [{ op: "replace", value: { title: `Title ${i}` } }] })
          .expect(200);
        // An IdP's pace: each change on its own, a little after the one before (each is delivered meanwhile when
        // nothing holds it back).
        await new Promise((r) => setTimeout(r, 25));
      }
      await queueEmpty();
      const titles = await Promise.all(
        ids.map(async (id) => (await t.request.get(`/scim/v2/Users/${id}`).set(AUTH)).body.title),
      );
      expect(titles).toEqual(ids.map((_, i) => `Title ${i}`));
      return emu.stats.apiCalls;
    } finally {
      await t.stop();
    }
  }

  it("go out in fewer Salesforce calls with the coalescing window on than off", async () => {
    const off = await callsFor(0, "off");
    const on = await callsFor(250, "on");
    // Every change reached Salesforce in both runs (the emulator holds what was sent).
    for (const prefix of ["off", "on"]) {
      const titles = emu.org
        .users()
        .filter((u) => String(u.Username).startsWith(prefix))
        .map((u) => String(u.Title));
      expect(titles.sort()).toEqual(Array.from({ length: USERS }, (_, i) => `Title ${i}`).sort());
    }
    console.info(`coalescing: ${off} Salesforce calls with the window off, ${on} with it on`);
    expect(on).toBeLessThan(off);
    expect(on).toBeLessThanOrEqual(off / 2);
  });
});
