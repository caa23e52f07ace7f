// `scim-bridge serve`: config → store → directory → HTTP, with a banner for humans and a graceful shutdown.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { join } from "node:path";
import { pino, type Logger } from "pino";
import { type Config, loadConfig } from "../config/index.ts";
import { Directory } from "../directory/index.ts";
import { createApp } from "../http/app.ts";
import { createHttpMetrics } from "../http/metrics.ts";
import { type Db, openStore } from "../store/index.ts";

export interface RunningBridge {
  url: string;
  config: Config;
  db: Db;
  server: Server;
  logger: Logger;
  stop(): Promise<void>;
}

/** The SCIM token: configured ones, else one generated on first start and kept in the data directory. */
export function resolveTokens(config: Config): { tokens: Config["tokens"]; generated?: string; file?: string } {
  if (config.tokens.length) return { tokens: config.tokens };
  const file = join(config.dataDir, "scim-bearer-token");
  let token: string;
  if (existsSync(file)) token = readFileSync(file, "utf8").trim();
  else {
    mkdirSync(config.dataDir, { recursive: true });
    token = randomBytes(24).toString("base64url");
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
  }
  return { tokens: [{ name: "default", token }], generated: token, file };
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

export async function startBridge(
  opts: { env?: Record<string, string | undefined>; logger?: Logger; quiet?: boolean } = {},
): Promise<RunningBridge> {
  const config = loadConfig(opts.env ?? process.env);
  const logger = opts.logger ?? createLogger(config.logLevel);
  const db = await openStore({ ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}), dataDir: config.dataDir });
  const directory = new Directory(db);
  const { tokens, generated, file } = resolveTokens(config);
  const app = createApp({
    directory,
    logger,
    tokens: () => tokens,
    bodyLimit: config.bodyLimit,
    rateLimitPerMinute: config.rateLimit.perMinute,
    filterMaxResults: config.filterMaxResults,
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    trustProxy: config.trustProxy,
    metrics: createHttpMetrics({ defaultMetrics: true }),
  });

  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  logger.info({ url, store: db.kind }, "scim-bridge listening");
  if (!opts.quiet) {
    const tokenHint = generated ? generated : "$SCIM_BEARER_TOKEN";
    process.stderr.write(
      [
        "",
        `scim-bridge is listening on ${url}/scim/v2  (store: ${db.kind === "pglite" ? `embedded PGlite in ${config.dataDir}` : "PostgreSQL"})`,
        generated ? `SCIM bearer token (generated once, kept in ${file}): ${generated}` : "SCIM bearer token: from configuration",
        "Try it:",
        `  curl -s -H "Authorization: Bearer ${tokenHint}" ${url}/scim/v2/Users`,
        "",
      ].join("\n"),
    );
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      logger.info("shutting down: finishing in-flight requests");
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
      await closed;
      clearTimeout(timer);
      await db.close();
      logger.info("stopped");
    })();
    return stopping;
  };
  return { url, config, db, server, logger, stop };
}
