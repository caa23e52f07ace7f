// `scim-bridge serve` with named SCIM credentials in its YAML file: they open the door, no token is generated.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const BIN = join(import.meta.dirname, "../../bin/scim-bridge");
const PASSWORD = "serve-basic-password-0123456789";

describe("scim-bridge serve with auth.scim", () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
  });

  it("uses the configured credentials, generates no SCIM token and names them in the banner", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "bridge-serve-auth-"));
    const config = join(dataDir, "bridge.yaml");
    writeFileSync(
      config,
      `auth:\n  scim:\n    - { name: okta, kind: basic, username: okta, password: "${PASSWORD}" }\n`,
    );
    child = spawn(BIN, ["serve"], {
      env: {
        ...process.env,
        DATABASE_URL: "",
        DATA_DIR: dataDir,
        PORT: "0",
        DEMO: "false",
        BRIDGE_CONFIG: config,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    const url = await new Promise<string>((resolve, reject) => {
      child!.stderr!.on("data", (d) => {
        stderr += d;
        const m = /listening on (http:\/\/\S+)\/scim\/v2/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      child!.once("exit", (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    expect(existsSync(join(dataDir, "scim-bearer-token"))).toBe(false);
    expect(stderr).toContain("SCIM credentials: from configuration (okta)");
    const basic = (p: string) => ({ Authorization: `Basic ${Buffer.from(`okta:${p}`).toString("base64")}` });
    expect((await fetch(`${url}/scim/v2/Users`, { headers: basic(PASSWORD) })).status).toBe(200);
    expect((await fetch(`${url}/scim/v2/Users`, { headers: basic("wrong") })).status).toBe(401);
    child.kill("SIGTERM");
    await new Promise((resolve) => child!.once("exit", resolve));
  });
});
