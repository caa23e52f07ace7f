// Wrong credentials: the work waits (parked, never dead) and the target shows unhealthy in /admin/targets with
// what the target answered and what to fix.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type RunningSalesforceEmulator,
  startSalesforceEmulator,
} from "../../src/emulators/salesforce/index.ts";
import { user } from "../support/app.ts";
import { ADMIN, AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";

describe("a target whose credentials are refused", () => {
  let emu: RunningSalesforceEmulator;
  let t: TestBridge;
  beforeAll(async () => {
    emu = await startSalesforceEmulator({ port: 0 });
    t = await startTestBridge({
      config: { sync: { waitForDeliveryMs: 0 } },
      targets: [
        {
          name: "salesforce",
          kind: "salesforce",
          loginUrl: emu.url,
          auth: {
            password: {
              clientId: "unknown",
              clientSecret: "wrong",
              username: "nobody@example.com",
              password: "x",
            },
          },
          mapping: { fields: { ProfileId: { const: "Standard User" } } },
        },
      ],
    });
  });
  afterAll(async () => {
    await t?.stop();
    await emu?.close();
  });

  it("parks the work and shows the target unhealthy, naming the refusal and the fix", async () => {
    const created = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send(user("parked@example.com"))
      .expect(201);
    const job = await eventually(async () => {
      const jobs = (await t.request.get(`/admin/jobs?resourceId=${created.body.id}`).set(ADMIN)).body
        .jobs as {
        state: string;
        lastErrorCode: string | null;
        attempts: number;
      }[];
      return jobs.find((j) => j.lastErrorCode === "TARGET_CREDENTIALS_REJECTED");
    });
    expect(job.state).toBe("pending");
    // The attempt was given back: refused credentials never use up a job's attempts.
    expect(job.attempts).toBe(0);
    const targets = (await t.request.get("/admin/targets").set(ADMIN)).body.targets as {
      healthy: boolean;
      checks: { check: string; ok: boolean; detail: string; fix?: string }[];
    }[];
    expect(targets[0]?.healthy).toBe(false);
    expect(targets[0]?.checks).toContainEqual(
      expect.objectContaining({
        check: "credentials",
        ok: false,
        detail: expect.stringMatching(/1 job\(s\) parked.*(invalid_client|invalid_grant)/),
        fix: expect.stringContaining("auth settings"),
      }),
    );
  });
});
