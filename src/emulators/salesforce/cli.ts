import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { SALESFORCE_EMULATOR_DEFAULTS, type SalesforceEmulatorOptions } from "./options.ts";
import { type RunningSalesforceEmulator, startSalesforceEmulator } from "./server.ts";

/** Flags as commander hands them over (camelCased long names). */
export interface SalesforceEmulatorFlags {
  port?: string | number;
  host?: string;
  clientId?: string;
  clientSecret?: string;
  username?: string;
  password?: string;
  securityToken?: string;
  jwtPublicKey?: string;
  latencyMs?: string | number;
  errorRate?: string | number;
  timeoutRate?: string | number;
  apiBudget?: string | number;
  sessionTtlS?: string | number;
  reservedUsername?: string[];
  refreshTokens?: boolean;
  batchSize?: string | number;
}

export const SALESFORCE_EMULATOR_CLI_PORT = 8790;

function num(
  value: string | number | undefined,
  name: string,
  fallback: number,
  max = Number.POSITIVE_INFINITY,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > max)
    throw new Error(`--${name} must be a number between 0 and ${max}`);
  return n;
}

/** Turns CLI flags into emulator options; reads the JWT public key or certificate file. */
export function salesforceEmulatorOptionsFromFlags(
  flags: SalesforceEmulatorFlags,
): Partial<SalesforceEmulatorOptions> {
  const d = SALESFORCE_EMULATOR_DEFAULTS;
  return {
    port: num(flags.port, "port", SALESFORCE_EMULATOR_CLI_PORT, 65535),
    host: flags.host ?? d.host,
    clientId: flags.clientId ?? d.clientId,
    clientSecret: flags.clientSecret ?? d.clientSecret,
    username: flags.username ?? d.username,
    password: flags.password ?? d.password,
    securityToken: flags.securityToken ?? d.securityToken,
    ...(flags.jwtPublicKey ? { jwtPublicKeyPem: readFileSync(flags.jwtPublicKey, "utf8") } : {}),
    latencyMs: num(flags.latencyMs, "latency-ms", d.latencyMs),
    errorRate: num(flags.errorRate, "error-rate", d.errorRate, 1),
    timeoutRate: num(flags.timeoutRate, "timeout-rate", d.timeoutRate, 1),
    apiBudget: num(flags.apiBudget, "api-budget", d.apiBudget),
    sessionTtlS: num(flags.sessionTtlS, "session-ttl-s", d.sessionTtlS),
    reservedUsernames: flags.reservedUsername?.length ? flags.reservedUsername : d.reservedUsernames,
    issueRefreshTokens: flags.refreshTokens ?? d.issueRefreshTokens,
    queryBatchSize: num(flags.batchSize, "batch-size", d.queryBatchSize, 2000),
  };
}

/** Startup text: where the emulator listens and which demo credentials it accepts. */
export function salesforceEmulatorBanner(
  e: RunningSalesforceEmulator,
  opts: Partial<SalesforceEmulatorOptions> = e.options,
): string {
  const o = { ...e.options, ...opts };
  return [
    `Salesforce emulator listening on ${e.url} (login URL and instance URL; in-memory org ${e.org.orgId})`,
    `  client id (consumer key):  ${o.clientId}`,
    `  client secret:             ${o.clientSecret}`,
    `  username:                  ${o.username}`,
    `  password:                  ${o.password}`,
    `  security token:            ${o.securityToken}  (password flow sends password + token)`,
    `  JWT bearer:                ${o.jwtPublicKeyPem ? "enabled (iss = client id, sub = username, aud = login URL)" : "disabled (pass --jwt-public-key FILE)"}`,
    `  grants:                    password, client_credentials, jwt-bearer, refresh_token${o.issueRefreshTokens ? "" : " (refresh tokens only with --refresh-tokens)"}`,
    `  profiles:                  System Administrator, Standard User, Chatter Free User`,
    `  faults:                    latency ${o.latencyMs} ms, error rate ${o.errorRate}, timeout rate ${o.timeoutRate}, API budget ${o.apiBudget}/day, session TTL ${o.sessionTtlS} s`,
    `  jsforce: new jsforce.Connection({ loginUrl: "${e.url}", version: "62.0", oauth2: { clientId, clientSecret, loginUrl: "${e.url}" } })`,
  ].join("\n");
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Adds `salesforce` under the given `emulator` command; the action runs until SIGINT or SIGTERM. */
export function registerSalesforceEmulatorCommand(emulator: Command): Command {
  const d = SALESFORCE_EMULATOR_DEFAULTS;
  return emulator
    .command("salesforce")
    .description(
      "Run a local Salesforce REST API emulator (OAuth, sObjects, SOQL, collections) for demos and tests",
    )
    .option("--port <n>", "port to listen on", String(SALESFORCE_EMULATOR_CLI_PORT))
    .option("--host <host>", "address to listen on", d.host)
    .option("--client-id <id>", "accepted connected-app consumer key", d.clientId)
    .option("--client-secret <secret>", "accepted consumer secret", d.clientSecret)
    .option("--username <username>", "integration user", d.username)
    .option("--password <password>", "integration user's password", d.password)
    .option("--security-token <token>", "security token appended to the password", d.securityToken)
    .option("--jwt-public-key <file>", "PEM public key or certificate that verifies JWT bearer assertions")
    .option("--latency-ms <ms>", "delay added to every response", String(d.latencyMs))
    .option("--error-rate <0..1>", "share of API calls answered 500/503", String(d.errorRate))
    .option("--timeout-rate <0..1>", "share of API calls that never answer", String(d.timeoutRate))
    .option("--api-budget <n>", "daily API request allocation", String(d.apiBudget))
    .option("--session-ttl-s <s>", "idle session timeout in seconds", String(d.sessionTtlS))
    .option("--reserved-username <username>", "a username taken in another org (repeatable)", collect)
    .option("--refresh-tokens", "issue refresh tokens on password login")
    .option("--batch-size <n>", "query page size (Salesforce default 2000)", String(d.queryBatchSize))
    .action(async (flags: SalesforceEmulatorFlags) => {
      const opts = salesforceEmulatorOptionsFromFlags(flags);
      const running = await startSalesforceEmulator(opts);
      process.stdout.write(`${salesforceEmulatorBanner(running)}\n`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await running.close();
    });
}
