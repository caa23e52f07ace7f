// `scim-bridge serve`: config → bridge → HTTP, with a banner for humans and a graceful shutdown.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { join } from "node:path";
import { type Logger, pino } from "pino";
import { type Bridge, createBridge } from "../bridge.ts";
import { type Config, loadConfig } from "../config/index.ts";
import type { NamedToken } from "../http/auth.ts";
import { targetConfigs } from "../targets/registry.ts";
import { type DemoEmulators, startDemoEmulators } from "./demo.ts";

export interface RunningBridge {
  url: string;
  config: Config;
  bridge: Bridge;
  server: Server;
  logger: Logger;
  stop(): Promise<void>;
}

/** A token from configuration, else one generated on first start and kept (0600) in the data directory. */
export function keptToken(
  configured: NamedToken[],
  dataDir: string,
  file: string,
  name: string,
): { tokens: NamedToken[]; generated?: string; path?: string } {
  if (configured.length) return { tokens: configured };
  const path = join(dataDir, file);
  let token: string;
  if (existsSync(path)) token = readFileSync(path, "utf8").trim();
  else {
    mkdirSync(dataDir, { recursive: true });
    token = randomBytes(24).toString("base64url");
    writeFileSync(path, `${token}\n`, { mode: 0o600 });
  }
  return { tokens: [{ name, token }], generated: token, path };
}

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: "scim-bridge" },
    // Belt and braces: nothing that looks like a credential is ever written, whatever a caller logs.
    redact: {
      paths: [
        "req.headers.authorization",
        "headers.authorization",
        "authorization",
        "password",
        "*.password",
        "token",
        "*.token",
        "secret",
        "*.secret",
        "clientSecret",
        "*.clientSecret",
      ],
      censor: "[redacted]",
    },
  });
}

export async function startServer(
  opts: { env?: Record<string, string | undefined>; logger?: Logger; quiet?: boolean } = {},
): Promise<RunningBridge> {
  const env = opts.env ?? process.env;
  const config = loadConfig(env);
  const logger = opts.logger ?? createLogger(config.logLevel);
  // Named credentials (auth.scim) replace the generated token; SCIM_BEARER_TOKEN(S) still add to them.
  const scim = config.auth.scim.length
    ? { tokens: config.tokens }
    : keptToken(config.tokens, config.dataDir, "scim-bearer-token", "default");
  // The break-glass admin token; switched off, none is read or generated (named admin tokens and the IdP remain).
  const admin: ReturnType<typeof keptToken> = config.auth.admin.breakGlass
    ? keptToken(config.adminTokens, config.dataDir, "admin-token", "admin")
    : { tokens: [] };
  const configs = targetConfigs(config.targets, env);
  let demo: DemoEmulators | undefined;
  if (config.demo) {
    demo = await startDemoEmulators(configs, { dataDir: config.dataDir, logger });
    configs.push(...demo.targetConfigs);
  }
  let bridge: Bridge;
  try {
    bridge = await createBridge({
      config,
      logger,
      targetConfigs: configs,
      tokens: scim.tokens,
      adminTokens: admin.tokens,
    });
  } catch (e) {
    await demo?.close();
    throw e;
  }
  const server = await bridge.listen(config.port, config.host);
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  logger.info(
    { url, store: bridge.db.kind, targets: bridge.targets.map((t) => t.name) },
    "scim-bridge listening",
  );
  if (!opts.quiet) {
    const tokenHint = scim.generated ?? "$SCIM_BEARER_TOKEN";
    process.stderr.write(
      [
        "",
        `scim-bridge is listening on ${url}/scim/v2  (store: ${bridge.db.kind === "pglite" ? `embedded PGlite in ${config.dataDir}` : "PostgreSQL"})`,
        scim.generated
          ? `SCIM bearer token (generated once, kept in ${scim.path}): ${scim.generated}`
          : `SCIM credentials: from configuration (${[...config.auth.scim, ...scim.tokens].map((c) => c.name).join(", ")})`,
        admin.generated
          ? `Admin API token (kept in ${admin.path}): ${admin.generated}`
          : config.auth.admin.breakGlass
            ? "Admin API token: from configuration"
            : "Admin API break-glass token: switched off (ADMIN_BREAK_GLASS=false)",
        bridge.targets.length
          ? `Targets: ${bridge.targets.map((t) => `${t.name} (${t.target.kind})`).join(", ")}`
          : "Targets: none configured (users are stored, nothing is provisioned)",
        ...(demo?.banner ?? []),
        "Try it:",
        `  curl -s -H "Authorization: Bearer ${tokenHint}" ${url}/scim/v2/Users`,
        "",
      ].join("\n"),
    );
  }
  return {
    url,
    config,
    bridge,
    server,
    logger,
    async stop() {
      logger.info("shutting down: finishing in-flight requests and deliveries");
      await bridge.stop();
      await demo?.close();
      logger.info("stopped");
    },
  };
}
