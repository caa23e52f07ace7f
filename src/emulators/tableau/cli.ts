/** `scim-bridge emulator tableau`: runs the emulator until SIGINT/SIGTERM. */
import type { Command } from "commander";
import { type RunningTableauEmulator, startTableauEmulator } from "./emulator.ts";
import { TABLEAU_EMULATOR_DEFAULTS as D, type TableauEmulatorOptions } from "./options.ts";

/** Startup text: where the emulator listens and which demo credentials it accepts. */
export function tableauEmulatorBanner(
  e: RunningTableauEmulator,
  opts: Partial<TableauEmulatorOptions> = {},
): string {
  const o = { ...e.options, ...opts };
  const sites = [...e.server.sites.values()]
    .map((s) => `    ${s.contentUrl === "" ? '"" (Default)' : JSON.stringify(s.contentUrl)}  id ${s.id}`)
    .join("\n");
  const faults = [
    o.latencyMs ? `latency ${o.latencyMs} ms` : "",
    o.errorRate ? `error rate ${o.errorRate}` : "",
    o.timeoutRate ? `timeout rate ${o.timeoutRate}` : "",
    o.rateLimitPerMin ? `rate limit ${o.rateLimitPerMin}/min` : "",
  ].filter(Boolean);
  return [
    `Tableau REST API emulator listening on ${e.url}`,
    `  API:           ${e.url}/api/${o.apiVersion}  (any 3.x up to ${o.apiVersion}; JSON with Accept: application/json, else XML)`,
    "  Sites (contentUrl):",
    sites,
    `  Site admin:    ${o.adminName}`,
    `  PAT:           name "${o.patName}"  secret "${o.patSecret}"`,
    `  Connected app: client id "${o.clientId}"  secret id "${o.secretId}"  secret value "${o.secretValue}"`,
    `  Sessions last ${o.tokenTtlS} s.${faults.length ? ` Faults: ${faults.join(", ")}.` : ""}`,
    "  Demo credentials only: state is in memory and is lost on exit.",
  ].join("\n");
}

const num = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`not a number: ${v}`);
  return n;
};
const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

export function registerTableauEmulatorCommand(emulatorCmd: Command): void {
  emulatorCmd
    .command("tableau")
    .description("Run a local Tableau REST API emulator (users, groups, PAT and connected-app sign-in)")
    .option("--port <n>", "port to listen on (0 = any free port)", num, D.port)
    .option("--host <host>", "address to listen on", D.host)
    .option("--site <contentUrl>", 'site contentUrl, repeatable ("" = Default site)', collect)
    .option("--pat-name <name>", "accepted personal access token name", D.patName)
    .option("--pat-secret <secret>", "accepted personal access token secret", D.patSecret)
    .option("--client-id <id>", "connected app client id (JWT iss)", D.clientId)
    .option("--secret-id <id>", "connected app secret id (JWT kid)", D.secretId)
    .option("--secret-value <value>", "connected app secret value (HS256 key)", D.secretValue)
    .option("--api-version <v>", "newest REST API version served", D.apiVersion)
    .option("--product-version <v>", "product version reported by serverInfo", D.productVersion)
    .option("--admin-name <name>", "site administrator every site starts with", D.adminName)
    .option("--latency-ms <n>", "added latency per request", num, D.latencyMs)
    .option("--error-rate <r>", "share of requests answered 500 (0..1)", num, D.errorRate)
    .option("--timeout-rate <r>", "share of requests never answered (0..1)", num, D.timeoutRate)
    .option("--rate-limit-per-min <n>", "requests per minute before 429 (0 = off)", num, D.rateLimitPerMin)
    .option("--token-ttl-s <n>", "session lifetime in seconds", num, D.tokenTtlS)
    .option("--licences <spec>", "licence capacity per site, e.g. Creator=5,Explorer=20,Viewer=100")
    .action(async (flags: Record<string, unknown>) => {
      const opts: Partial<TableauEmulatorOptions> = {
        port: flags.port as number,
        host: flags.host as string,
        sites: (flags.site as string[] | undefined) ?? D.sites,
        patName: flags.patName as string,
        patSecret: flags.patSecret as string,
        clientId: flags.clientId as string,
        secretId: flags.secretId as string,
        secretValue: flags.secretValue as string,
        apiVersion: flags.apiVersion as string,
        productVersion: flags.productVersion as string,
        adminName: flags.adminName as string,
        latencyMs: flags.latencyMs as number,
        errorRate: flags.errorRate as number,
        timeoutRate: flags.timeoutRate as number,
        rateLimitPerMin: flags.rateLimitPerMin as number,
        tokenTtlS: flags.tokenTtlS as number,
        licences: parseLicences(flags.licences as string | undefined),
      };
      const emulator = await startTableauEmulator(opts);
      process.stdout.write(`${tableauEmulatorBanner(emulator)}\n`);
      const stop = () => {
        emulator.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
}

export function parseLicences(spec: string | undefined): TableauEmulatorOptions["licences"] {
  const out: TableauEmulatorOptions["licences"] = {};
  if (!spec) return out;
  for (const part of spec.split(",")) {
    const [tier, n] = part.split("=");
    if ((tier === "Creator" || tier === "Explorer" || tier === "Viewer") && n !== undefined)
      out[tier] = num(n);
    else throw new Error(`bad licence spec '${part}' (expected Creator=N,Explorer=N,Viewer=N)`);
  }
  return out;
}
