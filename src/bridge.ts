// The composition root: config → store → directory (+ outbox writer) → targets → dispatcher → HTTP app.
// `serve`, the CLI's other commands and the end-to-end tests all assemble the bridge here.
import type { Server } from "node:http";
import type { Express } from "express";
import type { Logger } from "pino";
import { type Config, ConfigError } from "./config/index.ts";
import { Directory } from "./directory/index.ts";
import { adminRouter, reconcileAdminRoutes } from "./http/admin.ts";
import { createApp } from "./http/app.ts";
import { AuthFailureLimiter, type NamedToken } from "./http/auth.ts";
import { consoleRouter } from "./http/console/index.ts";
import { createHttpMetrics } from "./http/metrics.ts";
import { adminCredentials } from "./http/operator-auth.ts";
import { authFailureCounter, CredentialSet, ScimAuth } from "./http/scim-auth/index.ts";
import { closeGracefully, protectServer } from "./http/server.ts";
import { targetHealth } from "./http/target-health.ts";
import { bridgeSchemaSet } from "./schemas.ts";
import { type Db, linksFor, openStore } from "./store/index.ts";
import {
  type ConfiguredTarget,
  createSyncMetrics,
  Dispatcher,
  ForegroundLoad,
  outboxWriter,
  retryPolicy,
  SecretBox,
} from "./sync/index.ts";
import { OutboxStatistics } from "./sync/outbox-statistics.ts";
import { startSyncScheduler, syncDeps } from "./sync/reconcile/index.ts";
import { buildTargets, type TargetDeps } from "./targets/registry.ts";

export interface BridgeOptions {
  config: Config;
  logger: Logger;
  /** Target configs (file + environment shorthands + demo emulators), already gathered. */
  targetConfigs: Record<string, unknown>[];
  tokens: NamedToken[];
  /** The break-glass admin token(s), role admin; ignored when config.auth.admin.breakGlass is false. */
  adminTokens: NamedToken[];
  /** An already open store (tests); otherwise opened from the config. */
  db?: Db;
  /** Run the dispatcher in this process (default true). */
  dispatch?: boolean;
  /** How SCIM load is measured for deliveries to give way (tests make the event loop count as saturated). */
  foreground?: ForegroundLoad;
}

export interface Bridge {
  app: Express;
  db: Db;
  directory: Directory;
  dispatcher: Dispatcher;
  /** Keeps the outbox's planner statistics current through bursts of queued jobs (sync/outbox-statistics.ts). */
  outboxStatistics: OutboxStatistics;
  /** The SCIM requests this process is answering; deliveries give way to them. */
  foreground: ForegroundLoad;
  targets: ConfiguredTarget[];
  listen(port: number, host: string): Promise<Server>;
  stop(): Promise<void>;
}

const KICK_DELAY_MS = 50;

function checkScopes(targets: ConfiguredTarget[], directory: Directory) {
  const problems: string[] = [];
  for (const t of targets) {
    if (!t.scope) continue;
    try {
      directory.checkList("User", { filter: t.scope, startIndex: 1, count: 0 });
    } catch (e) {
      problems.push(`targets (${t.name}).scope: ${(e as Error).message}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
}

export async function createBridge(opts: BridgeOptions): Promise<Bridge> {
  const { config, logger } = opts;
  // First: scopes, filters and mappings below may name any core or extension attribute.
  const schemas = bridgeSchemaSet();
  const db =
    opts.db ??
    (await openStore({
      ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
      dataDir: config.dataDir,
      statementTimeoutMs: config.store.statementTimeoutMs,
    }));
  try {
    const deps: TargetDeps = {
      retry: retryPolicy,
      logger,
      resolveLink: async (target, scimId) => (await linksFor(db, [scimId], target))[0]?.targetId ?? undefined,
    };
    const targets: ConfiguredTarget[] = buildTargets(opts.targetConfigs, deps);
    const secrets = config.outboxKey ? SecretBox.fromString(config.outboxKey) : undefined;
    const s = config.sync;
    const directory = new Directory(
      db,
      schemas,
      outboxWriter({
        targets,
        userSchema: schemas.User,
        ...(secrets ? { secrets } : {}),
        breaker: {
          windowMs: s.breaker.windowMinutes * 60_000,
          maxCount: s.breaker.maxDeprovisions,
          maxPercent: s.breaker.maxPercent,
        },
      }),
    );
    checkScopes(targets, directory);
    const metrics = createHttpMetrics({ defaultMetrics: true });
    const foreground = opts.foreground ?? new ForegroundLoad();
    const dispatcher = new Dispatcher({
      db,
      targets,
      userSchema: schemas.User,
      logger,
      ...(secrets ? { secrets } : {}),
      backoff: { baseMs: s.backoffBaseMs, maxMs: s.backoffMaxMs, maxAttempts: s.maxAttempts },
      pollMs: s.pollMs,
      leaseMs: s.leaseMs,
      ...(s.workersPerTarget ? { workersPerTarget: s.workersPerTarget } : {}),
      metrics: createSyncMetrics(metrics.registry, db),
      foreground,
      yieldMs: s.yieldMs,
      coalesceMs: s.coalesceMs,
    });

    // One cache of target health checks for the admin API and the console.
    const health = targetHealth(db);
    const authLimiter = new AuthFailureLimiter(config.rateLimit.authFailuresPerMinute);
    const authFailures = authFailureCounter(metrics.registry);
    // Named admin tokens carry their role; the break-glass token is an admin unless configuration switches it off.
    const adminCreds = adminCredentials(
      config.auth.admin.tokens,
      config.auth.admin.breakGlass ? opts.adminTokens : [],
    );
    // The planner's picture of the outbox follows every burst of queued jobs: SCIM writes, reconcile, import.
    const outboxStatistics = new OutboxStatistics(db, logger);
    const actionDeps = {
      ...syncDeps({ db, directory, targets, dispatcher, outboxStatistics }, config),
      deprovisionUnmanaged: config.reconcile.deprovisionUnmanaged,
    };
    // Nobody waits for this delivery: one wake-up per target per KICK_DELAY_MS, so an IdP's burst of writes makes
    // a few large batches instead of a claim transaction per write per worker.
    const kicks = new Map<string, NodeJS.Timeout>();
    const kickSoon = (target: string) => {
      if (kicks.has(target)) return;
      kicks.set(
        target,
        setTimeout(() => {
          kicks.delete(target);
          dispatcher.kick(target);
        }, KICK_DELAY_MS),
      );
    };

    let credentials: CredentialSet;
    try {
      credentials = new CredentialSet(config.auth.scim, opts.tokens);
    } catch (e) {
      throw new ConfigError([`auth.scim: ${(e as Error).message}`]);
    }
    const scimAuth = new ScimAuth({ credentials, configs: config.auth.scim, db });
    const app = createApp({
      scimAuth,
      authLimiter,
      directory,
      logger,
      tokens: () => opts.tokens,
      bodyLimit: config.bodyLimit,
      rateLimitPerMinute: config.rateLimit.perMinute,
      filterMaxResults: config.filterMaxResults,
      ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
      trustProxy: config.trustProxy,
      metrics,
      statusEnabled: targets.length > 0,
      maxWaitMs: s.maxWaitMs,
      foreground,
      afterWrite: async (ctx, queued, id) => {
        const targets = queued.get(id);
        if (!targets?.size) return false;
        outboxStatistics.noteQueued(targets.size);
        // The IdP is never slowed by the targets unless it asks (Prefer: wait=N) or the admin set a default.
        const waitMs = Math.min(
          ctx.waitMs ?? s.waitForDeliveryMs,
          Math.max(s.maxWaitMs, s.waitForDeliveryMs),
        );
        if (waitMs <= 0) {
          for (const t of targets) kickSoon(t);
          return false;
        }
        for (const t of targets) dispatcher.kick(t);
        await dispatcher.waitForAttempt(id, [...targets], waitMs);
        return true;
      },
      mount: (a) => {
        a.use(
          "/admin",
          adminRouter({
            directory,
            targets,
            credentials: () => adminCreds,
            authLimiter,
            authFailures,
            kick: (t) => dispatcher.kick(t),
            health,
            extend: (router) => reconcileAdminRoutes(router, actionDeps),
          }),
        );
        a.use(
          "/console",
          consoleRouter({
            sync: actionDeps,
            health,
            waitForAttempt: (id, names, ms) => dispatcher.waitForAttempt(id, names, ms),
            deprovisionUnmanaged: config.reconcile.deprovisionUnmanaged,
            adminTokens: () => adminCreds,
            oidc: config.auth.console.oidc,
            publicUrl: config.publicUrl,
            authFailures,
            scimTokens: () => opts.tokens,
            sessionMinutes: config.consoleSessionMinutes,
          }),
        );
      },
    });

    if (opts.dispatch !== false) dispatcher.start();
    const scheduler =
      opts.dispatch !== false
        ? startSyncScheduler(
            syncDeps({ db, directory, targets, dispatcher, outboxStatistics }, config),
            config,
            logger,
          )
        : undefined;
    let server: Server | undefined;
    let stopping: Promise<void> | undefined;
    return {
      app,
      db,
      directory,
      dispatcher,
      outboxStatistics,
      foreground,
      targets,
      listen: (port, host) =>
        new Promise<Server>((resolve, reject) => {
          const srv = protectServer(
            app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(srv))),
          );
          server = srv;
        }),
      stop() {
        stopping ??= (async () => {
          if (server) {
            await closeGracefully(server, config.shutdownTimeoutMs);
          }
          for (const timer of kicks.values()) clearTimeout(timer);
          await scheduler?.stop();
          await dispatcher.stop();
          await outboxStatistics.idle();
          for (const t of targets) await t.target.close?.();
          if (!opts.db) await db.close();
        })();
        return stopping;
      },
    };
  } catch (e) {
    if (!opts.db) await db.close();
    throw e;
  }
}
