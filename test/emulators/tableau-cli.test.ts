import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseLicences } from "../../src/emulators/tableau/cli.ts";

const root = resolve(import.meta.dirname, "../..");
let child: ChildProcess | undefined;

afterAll(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
});

describe("scim-bridge emulator tableau", () => {
  it("prints the URL and demo credentials, serves the API, and stops on SIGTERM", async () => {
    const script = `
      import { Command } from "commander";
      import { registerTableauEmulatorCommand } from "./src/emulators/tableau/index.ts";
      const emulator = new Command("emulator");
      registerTableauEmulatorCommand(emulator);
      await emulator.parseAsync(process.argv.slice(1), { from: "user" });`;
    child = spawn(
      resolve(root, "bin/node22"),
      [
        "--disable-warning=ExperimentalWarning",
        "--input-type=module",
        "-e",
        script,
        "tableau",
        "--port",
        "0",
        "--site",
        "",
        "--site",
        "sales",
        "--pat-name",
        "cli-pat",
        "--pat-secret",
        "cli-secret",
        "--api-version",
        "3.22",
      ],
      { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    while (!/listening on (http:\/\/\S+)[\s\S]*Demo credentials/.test(out)) {
      const [chunk] = (await Promise.race([once(child.stdout!, "data"), once(child, "exit")])) as [unknown];
      if (child.exitCode !== null) throw new Error(`emulator exited early: ${String(chunk)}`);
    }
    const url = /listening on (http:\/\/\S+)/.exec(out)?.[1] ?? "";
    expect(out).toContain('name "cli-pat"  secret "cli-secret"');
    expect(out).toContain('"sales"');
    expect(out).toContain('"" (Default)');
    const info = await fetch(`${url}/api/3.22/serverInfo`, { headers: { accept: "application/json" } });
    expect(await info.json()).toMatchObject({ serverInfo: { restApiVersion: "3.22" } });
    const signIn = await fetch(`${url}/api/3.22/auth/signin`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({
        credentials: {
          personalAccessTokenName: "cli-pat",
          personalAccessTokenSecret: "cli-secret",
          site: { contentUrl: "sales" },
        },
      }),
    });
    expect(signIn.status).toBe(200);
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
  });

  it("parses licence capacities and rejects unknown tiers", () => {
    expect(parseLicences("Creator=2,Viewer=10")).toEqual({ Creator: 2, Viewer: 10 });
    expect(() => parseLicences("Boss=1")).toThrow(/licence spec/);
  });
});
