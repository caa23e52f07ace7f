import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, ENV_KEYS, loadConfig } from "../../src/config/index.ts";

const dir = mkdtempSync(join(tmpdir(), "bridge-config-"));

describe("configuration", () => {
  it("starts with no configuration at all: port 8080, host 127.0.0.1, ./data", () => {
    expect(loadConfig({})).toMatchObject({ port: 8080, host: "127.0.0.1", dataDir: "./data", tokens: [] });
  });

  it("reads environment variables with coercion", () => {
    const c = loadConfig({
      PORT: "9090",
      HOST: "0.0.0.0",
      DATA_DIR: "/tmp/x",
      TRUST_PROXY: "true",
      RATE_LIMIT_PER_MINUTE: "10",
    });
    expect(c).toMatchObject({
      port: 9090,
      host: "0.0.0.0",
      dataDir: "/tmp/x",
      trustProxy: true,
      rateLimit: { perMinute: 10 },
    });
  });

  it("accepts several named SCIM tokens, and any secret from a NAME_FILE", () => {
    const file = join(dir, "token");
    writeFileSync(file, "from-a-file-0123456789\n");
    const c = loadConfig({
      SCIM_BEARER_TOKEN_FILE: file,
      SCIM_BEARER_TOKENS: "okta:okta-token-0123456789,entra:entra-token-0123456789",
    });
    expect(c.tokens).toEqual([
      { name: "default", token: "from-a-file-0123456789" },
      { name: "okta", token: "okta-token-0123456789" },
      { name: "entra", token: "entra-token-0123456789" },
    ]);
  });

  it("merges a YAML file under the environment", () => {
    const file = join(dir, "bridge.yaml");
    writeFileSync(file, "port: 7000\nlogLevel: debug\n");
    expect(loadConfig({ BRIDGE_CONFIG: file, PORT: "7001" })).toMatchObject({
      port: 7001,
      logLevel: "debug",
    });
  });

  it("names every bad key and what is expected in one error", () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: "eighty",
        LOG_LEVEL: "loud",
        SCIM_BEARER_TOKEN: "short",
        DATABASE_URL_FILE: "/no/such/file",
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as ConfigError).message;
    expect(text).toMatch(/port \(PORT\)/);
    expect(text).toMatch(/logLevel \(LOG_LEVEL\)/);
    expect(text).toMatch(/tokens/);
    expect(text).toMatch(/DATABASE_URL_FILE: cannot read \/no\/such\/file/);
    expect((error as ConfigError).problems.length).toBeGreaterThanOrEqual(4);
  });

  it("has an environment variable for every setting with a default, each listed in the README", () => {
    const leaves = (o: Record<string, unknown>, at: string[] = []): string[] =>
      Object.entries(o).flatMap(([k, v]) =>
        v && typeof v === "object" && !Array.isArray(v)
          ? leaves(v as Record<string, unknown>, [...at, k])
          : Array.isArray(v)
            ? []
            : [[...at, k].join(".")],
      );
    const reachable = new Set(Object.values(ENV_KEYS).map((p) => p.join(".")));
    expect(
      leaves(loadConfig({}) as unknown as Record<string, unknown>).filter((p) => !reachable.has(p)),
    ).toEqual([]);
    const readme = readFileSync(join(import.meta.dirname, "../../README.md"), "utf8");
    expect(Object.keys(ENV_KEYS).filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
    expect(loadConfig({ SYNC_BACKOFF_MAX_MS: "5000" }).sync.backoffMaxMs).toBe(5000);
  });
});
