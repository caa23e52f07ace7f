import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SecretBox } from "../../src/sync/secrets.ts";
import { user } from "../support/app.ts";
import { AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";

const KEY = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

describe("passwords", () => {
  let wants: RunningTestTarget;
  let doesNot: RunningTestTarget;
  let t: TestBridge;
  beforeAll(async () => {
    wants = await startTestTarget({ faults: { latencyMs: 300 } });
    doesNot = await startTestTarget();
    t = await startTestBridge({
      targets: [
        { name: "with-passwords", kind: "test", url: wants.url, acceptsPasswords: true },
        { name: "no-passwords", kind: "test", url: doesNot.url },
      ],
      config: { outboxKey: KEY, sync: { waitForDeliveryMs: 0 } },
    });
  });
  afterAll(async () => {
    await t.stop();
    await wants.close();
    await doesNot.close();
  });

  it("travels encrypted in the outbox only for targets that accept passwords, and is erased once delivered", async () => {
    const u = (
      await t.request
        .post("/scim/v2/Users")
        .set(AUTH)
        .send({ ...user("pw@example.com"), password: "Correct-Horse-9" })
    ).body;
    const { rows } = await t.store.db.query<{ target: string; secret: Uint8Array | null }>(
      "SELECT target, secret FROM outbox WHERE resource_id = $1 ORDER BY target",
      [u.id],
    );
    const sealed = rows.find((r) => r.target === "with-passwords")?.secret;
    expect(rows.find((r) => r.target === "no-passwords")?.secret).toBeNull();
    expect(sealed).toBeTruthy();
    expect(Buffer.from(sealed!).toString("latin1")).not.toContain("Correct-Horse-9");
    expect(SecretBox.fromString(KEY).open(Buffer.from(sealed!))).toBe("Correct-Horse-9");

    await eventually(() => [...wants.accounts.values()].some((a) => a.key === "pw@example.com"));
    await eventually(async () => {
      const r = await t.store.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM outbox WHERE secret IS NOT NULL",
      );
      return Number(r.rows[0]?.n) === 0;
    });
    const { rows: users } = await t.store.db.query<{ data: unknown }>(
      "SELECT data FROM users WHERE id = $1",
      [u.id],
    );
    expect(JSON.stringify(users)).not.toContain("Correct-Horse-9");
  });
});
