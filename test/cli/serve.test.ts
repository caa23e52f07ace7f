// The zero-configuration start a newcomer does with `npm start`, as a real process.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const BIN = join(import.meta.dirname, "../../bin/scim-bridge");

function start(env: Record<string, string>) {
  const child = spawn(BIN, ["serve"], {
    env: { ...process.env, DATABASE_URL: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let stdout = "";
  child.stdout.on("data", (d) => (stdout += d));
  const ready = new Promise<string>((resolve, reject) => {
    child.stderr.on("data", (d) => {
      stderr += d;
      const m = /listening on (http:\/\/\S+)\/scim\/v2/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  return { child, ready, output: () => ({ stdout, stderr }) };
}

const exited = (c: ChildProcess) =>
  new Promise<number | null>((resolve) => c.once("exit", (code) => resolve(code)));

describe("scim-bridge serve", () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  });

  it("starts with no configuration, generates a token once, prints a curl command, and stops on SIGTERM", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "bridge-serve-"));
    const first = start({ DATA_DIR: dataDir, PORT: "0" });
    children.push(first.child);
    const url = await first.ready;
    const token = readFileSync(join(dataDir, "scim-bearer-token"), "utf8").trim();
    expect(first.output().stderr).toContain(
      `curl -s -H "Authorization: Bearer ${token}" ${url}/scim/v2/Users`,
    );
    const res = await fetch(`${url}/scim/v2/Users`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/scim+json" },
      body: JSON.stringify({
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
        userName: "kept@example.com",
      }),
    });
    expect(res.status).toBe(201);
    first.child.kill("SIGTERM");
    expect(await exited(first.child)).toBe(0);
    // stdout is JSON log lines only, and the token is not among them
    for (const line of first.output().stdout.trim().split("\n")) expect(() => JSON.parse(line)).not.toThrow();
    expect(first.output().stdout).not.toContain(token);

    // Restart on the same data directory: same token, the user is still there.
    const second = start({ DATA_DIR: dataDir, PORT: "0" });
    children.push(second.child);
    const url2 = await second.ready;
    const list = await fetch(
      `${url2}/scim/v2/Users?filter=${encodeURIComponent('userName eq "kept@example.com"')}`,
      {
        headers: { Authorization: `Bearer ${token}` },
      },
    );
    expect((await list.json()).totalResults).toBe(1);
    second.child.kill("SIGINT");
    expect(await exited(second.child)).toBe(0);
  });

  it("refuses to start on invalid configuration, naming each bad key", async () => {
    const bad = start({
      PORT: "not-a-port",
      LOG_LEVEL: "shouty",
      DATA_DIR: mkdtempSync(join(tmpdir(), "bridge-bad-")),
    });
    children.push(bad.child);
    bad.ready.catch(() => {}); // it never becomes ready: that is the point
    const code = await exited(bad.child);
    expect(code).toBe(1);
    expect(bad.output().stderr).toMatch(/Invalid configuration/);
    expect(bad.output().stderr).toMatch(/PORT/);
    expect(bad.output().stderr).toMatch(/LOG_LEVEL/);
  });
});
