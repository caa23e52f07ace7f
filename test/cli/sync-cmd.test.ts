// reconcile, import and doctor as a user runs them: the real CLI process against the emulators.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import {
  type RunningTableauEmulator,
  startTableauEmulator,
  tableauEmulatorTargetConfig,
} from "../../src/emulators/tableau/index.ts";
import { adminRouter, reconcileAdminRoutes } from "../../src/http/admin.ts";
import { ADMIN_TOKEN, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { WITH_TEST_KIND } from "../support/process.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";
import { depsOf } from "../sync/reconcile-fixtures.ts";

const BIN = join(import.meta.dirname, "../../bin/scim-bridge");

function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      BIN,
      args,
      { env: { ...process.env, DATABASE_URL: "", ...WITH_TEST_KIND, ...env }, timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("the reconcile, import and doctor commands", () => {
  let tableau: RunningTableauEmulator;
  let accounts: RunningTestTarget;
  let env: Record<string, string>;
  beforeAll(async () => {
    tableau = await startTableauEmulator({ port: 0 });
    accounts = await startTestTarget();
    const site = tableau.server.site("");
    site.addUser({
      name: "ada@example.com",
      siteRole: "Creator",
      fullName: "Ada Lovelace",
      email: "ada@example.com",
    });
    site.addUser({
      name: "alan@example.com",
      siteRole: "Viewer",
      fullName: "Alan Turing",
      email: "alan@example.com",
    });
    const dir = mkdtempSync(join(tmpdir(), "bridge-cli-"));
    const file = join(dir, "bridge.yaml");
    writeFileSync(
      file,
      stringify({
        demo: false,
        targets: [
          tableauEmulatorTargetConfig(tableau.url),
          { name: "accounts", kind: "test", url: accounts.url },
        ],
      }),
    );
    // A port nothing listens on: no running bridge, so the CLI opens the store itself.
    env = { BRIDGE_CONFIG: file, DATA_DIR: join(dir, "data"), PORT: "1", LOG_LEVEL: "warn" };
  });
  afterAll(async () => {
    await tableau.close();
    await accounts.close();
  });

  it("doctor passes with reachable targets and fails, with the fix, when one is down", async () => {
    await run(["migrate"], env);
    const ok = await run(["doctor"], env);
    expect(ok.stdout).toMatch(/PASS\s+target tableau\s+tableau: sign-in/);
    expect(ok.stdout).toContain("all checks passed");
    expect(ok.code).toBe(0);
    const bad = await run(["doctor"], {
      ...env,
      TABLEAU_SERVER_URL: "http://127.0.0.1:1",
      TABLEAU_PAT_NAME: "x",
      TABLEAU_PAT_SECRET: "y",
      BRIDGE_CONFIG: "",
    });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAIL\s+target tableau/);
    expect(bad.stdout).toContain("check serverUrl");
  });

  it("imports Tableau users and waits until the other target has them", async () => {
    const r = await run(["import", "--from", "tableau", "--apply"], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/users\s+3\s+0\s+0\s+0\s+0/); // ada, alan and the site admin created
    expect(r.stderr).toContain("delivery: 3 delivered, 0 failed");
    expect([...accounts.accounts.values()].map((a) => a.key).sort()).toEqual([
      "ada@example.com",
      "admin@example.com",
      "alan@example.com",
    ]);
  });

  it("reconcile prints a dry-run plan, repairs with --apply, and streams JSON when asked", async () => {
    const alan = [...accounts.accounts.values()].find((a) => a.key === "alan@example.com")!;
    alan.active = false;
    const plan = await run(["reconcile", "--target", "accounts"], env);
    expect(plan.stdout).toMatch(/drifted\s+alan@example.com\s+active\s+provision/);
    expect(plan.stdout).toContain("dry run: nothing was changed");
    expect(alan.active).toBe(false);
    const fixed = await run(["reconcile", "--target", "accounts", "--apply"], env);
    expect(fixed.stderr).toContain("delivery: 1 delivered");
    expect(alan.active).toBe(true);
    const json = await run(["reconcile", "--target", "accounts", "--format", "json"], env);
    expect(JSON.parse(json.stdout).users).toMatchObject({ "in-sync": 3, drifted: 0 });
    // Not a terminal: progress comes as JSON lines.
    expect(json.stderr.split("\n")[0]).toMatch(/^\{"event":"progress"/);
  });
});

describe("reconcile when a bridge already serves the store", () => {
  let accounts: RunningTestTarget;
  let t: TestBridge;
  let admin: Server;
  let port: number;
  beforeAll(async () => {
    accounts = await startTestTarget();
    t = await startTestBridge({ targets: [{ name: "accounts", kind: "test", url: accounts.url }] });
    await fetch(`${accounts.url}/accounts`, {
      method: "POST",
      body: JSON.stringify({ key: "stranger@example.com", fields: {}, active: true }),
    });
    // The admin API with the reconcile routes, as createBridge mounts them through `extend`.
    const app = express().use(
      "/admin",
      adminRouter({
        directory: t.bridge.directory,
        targets: t.bridge.targets,
        tokens: () => [{ name: "admin", token: ADMIN_TOKEN }],
        kick: (n) => t.bridge.dispatcher.kick(n),
        extend: (router) => reconcileAdminRoutes(router, depsOf(t)),
      }),
    );
    admin = await new Promise<Server>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    port = (admin.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((r) => admin.close(r));
    await t.stop();
    await accounts.close();
  });

  it("does the work through the running bridge's admin API instead of opening the store", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bridge-cli-remote-"));
    const file = join(dir, "bridge.yaml");
    writeFileSync(
      file,
      stringify({ demo: false, targets: [{ name: "accounts", kind: "test", url: accounts.url }] }),
    );
    const r = await run(["reconcile", "--target", "accounts"], {
      BRIDGE_CONFIG: file,
      DATA_DIR: dir,
      PORT: String(port),
      ADMIN_TOKEN,
    });
    expect(r.stderr).toContain(`using the bridge running at http://127.0.0.1:${port}`);
    expect(r.stdout).toMatch(/unmanaged\s+stranger@example.com/);
    expect(r.code).toBe(0);
  });
});
