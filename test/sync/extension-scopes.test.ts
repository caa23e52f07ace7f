// A target's scope may name an attribute of any declared extension: the SCIM schemas are declared first when the
// bridge is created, before scopes are compiled (this file starts its bridge in a fresh process state).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { user } from "../support/app.ts";
import { AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";

const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";
const SCOPES = [
  { urn: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", attr: "department", value: "Sales" },
  { urn: "urn:ietf:params:scim:schemas:extension:salesforce:2.0:User", attr: "Alias", value: "sfonly" },
  { urn: "urn:ietf:params:scim:schemas:extension:tableau:3.0:User", attr: "siteRole", value: "Creator" },
];

describe("target scopes on extension attributes", () => {
  const targets: RunningTestTarget[] = [];
  let t: TestBridge;
  beforeAll(async () => {
    for (const _ of SCOPES) targets.push(await startTestTarget());
    t = await startTestBridge({
      targets: SCOPES.map((s, i) => ({
        name: `scoped-${i}`,
        kind: "test",
        url: targets[i]!.url,
        scope: `${s.urn}:${s.attr} eq "${s.value}"`,
      })),
    });
  });
  afterAll(async () => {
    await t?.stop();
    for (const target of targets) await target.close();
  });

  it.each(SCOPES.map((s, i) => [s.urn, i] as const))(
    "%s: only matching users reach the target",
    async (urn, i) => {
      const s = SCOPES[i]!;
      const inside = `in-${i}@example.com`;
      const outside = `out-${i}@example.com`;
      for (const [userName, value] of [
        [inside, s.value],
        [outside, "Viewer"],
      ] as const) {
        const res = await t.request
          .post("/scim/v2/Users")
          .set(AUTH)
          .send(user(userName, { schemas: [CORE, urn], [urn]: { [s.attr]: value } }));
        expect(res.status).toBe(201);
      }
      await eventually(() => [...targets[i]!.accounts.values()].some((a) => a.key === inside));
      const keys = targets.flatMap((target, j) => [...target.accounts.values()].map((a) => `${j}:${a.key}`));
      expect(keys).not.toContain(`${i}:${outside}`);
      expect(keys.filter((k) => k.endsWith(inside))).toEqual([`${i}:${inside}`]);
    },
  );
});
