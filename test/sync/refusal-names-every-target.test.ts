// When no in-scope target can take a user, the one 400 names every refusing target with its fields, however long
// the first target's reasons are: a SCIM detail is cut at MAX_DETAIL_LENGTH, which used to cut the second target
// (Tableau after Salesforce's long reasons) out of the answer.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_DETAIL_LENGTH } from "../../src/errors.ts";
import { refusal } from "../../src/sync/enqueue.ts";
import { AUTH, startTestBridge } from "../support/bridge.ts";
import { bothEmulators } from "../support/emulators.ts";

const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";
const TABLEAU = "urn:ietf:params:scim:schemas:extension:tableau:3.0:User";

describe("a refusal by Salesforce and Tableau", () => {
  const emulators = bothEmulators();

  it("names both targets and each one's fields in one detail, Salesforce configured first", async () => {
    const [tableau, salesforce] = emulators.targets();
    const t = await startTestBridge({ targets: [salesforce!, tableau!] });
    try {
      const res = await t.request
        .post("/scim/v2/Users")
        .set(AUTH)
        .send({
          schemas: [CORE, TABLEAU],
          userName: "no-name-at-all",
          emails: [{ value: "not-an-email", primary: true }],
          [TABLEAU]: { siteRole: "Overlord" },
        });
      expect(res.status).toBe(400);
      expect(res.body.scimType).toBe("invalidValue");
      const detail = res.body.detail as string;
      expect(detail).toMatch(/Target "salesforce" would reject this user: .*Email.*Username/);
      expect(detail).toMatch(/Target "tableau" would reject this user: .*siteRole.*email/);
      expect(detail.length).toBeLessThanOrEqual(MAX_DETAIL_LENGTH);
    } finally {
      await t.stop();
    }
  });
});

describe("refusal()", () => {
  // Like every pre-flight problem, the detail names its field first ("Salesforce field Email is …").
  const problem = fc
    .record({
      field: fc.stringMatching(/^[A-Za-z]{1,12}$/),
      text: fc.string({ minLength: 60, maxLength: 400 }),
    })
    .map(({ field, text }) => ({
      field,
      code: "REQUIRED_FIELD_MISSING" as const,
      detail: `field ${field} ${text}`,
    }));
  const plan = fc.record({
    name: fc.stringMatching(/^[a-z]{1,12}$/),
    problems: fc.array(problem, { minLength: 1, maxLength: 4 }),
  });

  it("names every refusing target and its fields within one detail, whatever the reasons' length", () => {
    fc.assert(
      fc.property(fc.uniqueArray(plan, { minLength: 1, maxLength: 3, selector: (p) => p.name }), (plans) => {
        const why = refusal(plans.map((p) => ({ ...p, inScope: true, reject: false })))!;
        expect(why.length).toBeLessThanOrEqual(MAX_DETAIL_LENGTH);
        for (const p of plans) {
          expect(why).toContain(`Target "${p.name}" would reject this user`);
          for (const x of p.problems) expect(why).toContain(x.field);
        }
      }),
    );
  });
});
