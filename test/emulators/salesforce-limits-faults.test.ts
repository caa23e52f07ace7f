import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import jsforce from "jsforce";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  SALESFORCE_EMULATOR_DEFAULTS as DEMO,
  type RunningSalesforceEmulator,
  registerSalesforceEmulatorCommand,
  type SalesforceEmulatorOptions,
  salesforceEmulatorBanner,
  salesforceEmulatorOptionsFromFlags,
  startSalesforceEmulator,
} from "../../src/emulators/salesforce/index.ts";

const running: RunningSalesforceEmulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()));
});

async function start(opts: Partial<SalesforceEmulatorOptions> = {}) {
  const emu = await startSalesforceEmulator({ port: 0, ...opts });
  running.push(emu);
  const conn = new jsforce.Connection({
    loginUrl: emu.url,
    version: "62.0",
    oauth2: { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, loginUrl: emu.url },
  });
  await conn.authorize({ grant_type: "client_credentials" });
  return { emu, conn };
}

describe("Salesforce emulator limits and faults", () => {
  it("counts data API calls (not logins) in Sforce-Limit-Info and /limits, then answers 403 REQUEST_LIMIT_EXCEEDED", async () => {
    const { emu, conn } = await start({ apiBudget: 3 });
    await conn.query("SELECT Id FROM Profile");
    expect(conn.limitInfo.apiUsage).toEqual({ used: 1, limit: 3 });
    const limits = await conn.limits();
    expect(limits.DailyApiRequests).toEqual({ Max: 3, Remaining: 1 });
    await conn.query("SELECT Id FROM Profile");
    await expect(conn.query("SELECT Id FROM Profile")).rejects.toMatchObject({
      errorCode: "REQUEST_LIMIT_EXCEEDED",
      message: "TotalRequests Limit exceeded.",
    });
    expect(emu.stats.apiCalls).toBe(3);
    emu.setFaults({ apiBudget: 10 });
    await expect(conn.query("SELECT Id FROM Profile")).resolves.toMatchObject({ done: true });
  });

  it("injects 500 and 503 errors at the configured rate", async () => {
    let dice = 0.1;
    const { emu, conn } = await start({ random: () => dice });
    emu.setFaults({ errorRate: 1 });
    // POST is not retried by jsforce, so the injected error reaches the caller.
    await expect(conn.sobject("Group").create({ Name: "A" })).rejects.toMatchObject({
      errorCode: "UNKNOWN_EXCEPTION",
    });
    dice = 0.9;
    await expect(conn.sobject("Group").create({ Name: "B" })).rejects.toMatchObject({
      errorCode: "SERVER_UNAVAILABLE",
    });
    emu.setFaults({ errorRate: 0 });
    await expect(conn.sobject("Group").create({ Name: "C" })).resolves.toMatchObject({ success: true });
  });

  it("lets jsforce's own GET retry get past a single injected 503", async () => {
    const draws = [0.1, 0.9]; // first call: fault, and 503 rather than 500; then no more faults
    const { emu, conn } = await start({ random: () => draws.shift() ?? 0.99 });
    emu.setFaults({ errorRate: 0.5 });
    emu.stats.reset();
    await expect(conn.query("SELECT Id FROM Profile")).resolves.toMatchObject({ done: true });
    expect(emu.stats.byRoute["GET /query"]).toBe(2);
  });

  it("hangs a call at the timeout rate until the client gives up, and close() still ends it", async () => {
    const { emu, conn } = await start();
    emu.setFaults({ timeoutRate: 1 });
    const headers = { Authorization: `Bearer ${conn.accessToken}` };
    await expect(
      fetch(`${emu.url}/services/data/v62.0/limits`, { headers, signal: AbortSignal.timeout(200) }),
    ).rejects.toThrow();
    const pending = fetch(`${emu.url}/services/data/v62.0/limits`, { headers });
    await vi.waitFor(() => expect(emu.stats.apiCalls).toBe(2));
    await emu.close();
    await expect(pending).rejects.toThrow();
  });

  it("adds the configured latency to each response", async () => {
    const { emu, conn } = await start();
    emu.setFaults({ latencyMs: 120 });
    const t0 = performance.now();
    await conn.query("SELECT Id FROM Profile");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(115);
  });

  it("expires sessions after a TTL changed at run time", async () => {
    let clock = 1_000_000;
    const { emu, conn } = await start({ now: () => clock });
    emu.setFaults({ sessionTtlS: 60 });
    clock += 61_000;
    await expect(conn.query("SELECT Id FROM Profile")).rejects.toThrow(/refresh/i);
  });
});

describe("Salesforce emulator command line", () => {
  it("turns flags into options, reading the JWT key file", () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-emu-"));
    const pem = generateKeyPairSync("rsa", { modulusLength: 2048 })
      .publicKey.export({ type: "spki", format: "pem" })
      .toString();
    writeFileSync(join(dir, "key.pem"), pem);
    const opts = salesforceEmulatorOptionsFromFlags({
      port: "9999",
      clientId: "cid",
      jwtPublicKey: join(dir, "key.pem"),
      latencyMs: "50",
      errorRate: "0.1",
      apiBudget: "500",
      sessionTtlS: "30",
    });
    expect(opts).toMatchObject({
      port: 9999,
      clientId: "cid",
      jwtPublicKeyPem: pem,
      latencyMs: 50,
      errorRate: 0.1,
      apiBudget: 500,
      sessionTtlS: 30,
    });
    expect(() => salesforceEmulatorOptionsFromFlags({ errorRate: "2" })).toThrow(/error-rate/);
  });

  it("registers `emulator salesforce` with every documented flag", () => {
    const emulator = new Command("emulator");
    registerSalesforceEmulatorCommand(emulator);
    const cmd = emulator.commands.find((c) => c.name() === "salesforce");
    const flags = cmd?.options.map((o) => o.long);
    for (const flag of [
      "--port",
      "--client-id",
      "--client-secret",
      "--username",
      "--password",
      "--security-token",
      "--jwt-public-key",
      "--latency-ms",
      "--error-rate",
      "--timeout-rate",
      "--api-budget",
      "--session-ttl-s",
    ]) {
      expect(flags).toContain(flag);
    }
  });

  it("prints the URL and the demo credentials at startup", async () => {
    const { emu } = await start();
    const banner = salesforceEmulatorBanner(emu, emu.options);
    for (const text of [
      emu.url,
      DEMO.clientId,
      DEMO.clientSecret,
      DEMO.username,
      DEMO.password,
      DEMO.securityToken,
    ])
      expect(banner).toContain(text);
  });
});
