// A bridge as a real child process (for crash and multi-process tests), configured by environment and a YAML file.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";

const BIN = join(import.meta.dirname, "../../bin/scim-bridge");

/** Environment that gives a bridge process the tests' plain "test" target kind (test-kind.ts). */
export const WITH_TEST_KIND = {
  NODE_OPTIONS:
    `${process.env.NODE_OPTIONS ?? ""} --import=${join(import.meta.dirname, "test-kind.ts")}`.trim(),
};

export interface BridgeProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
  output(): string;
}

/** A PostgreSQL URL whose connections use the given schema. */
export function schemaUrl(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set("options", `-c search_path=${schema}`);
  return u.toString();
}

/** Without `databaseUrl` the process keeps its store in embedded PGlite in its own data directory. */
export async function spawnBridge(opts: {
  databaseUrl?: string;
  config: Record<string, unknown>;
  env?: Record<string, string>;
  token: string;
}): Promise<BridgeProcess> {
  const dir = mkdtempSync(join(tmpdir(), "bridge-proc-"));
  const file = join(dir, "bridge.yaml");
  writeFileSync(file, stringify(opts.config));
  const { DATABASE_URL: _inherited, ...parentEnv } = process.env;
  const child = spawn(BIN, ["serve"], {
    env: {
      ...parentEnv,
      PORT: "0",
      DATA_DIR: dir,
      ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : {}),
      BRIDGE_CONFIG: file,
      SCIM_BEARER_TOKEN: opts.token,
      DEMO: "false",
      LOG_LEVEL: "warn",
      ...WITH_TEST_KIND,
      ...opts.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.on("data", (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)\/scim\/v2/.exec(out);
      if (m) resolve(m[1]!);
    });
    exited.then((code) => reject(new Error(`bridge exited ${code} before listening:\n${out}`)));
  });
  return { child, url, exited, output: () => out };
}
