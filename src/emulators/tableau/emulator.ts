/** Starting and stopping the Tableau emulator in-process. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { SessionStore } from "./auth.ts";
import { type CallStats, createTableauHttpServer, newCallStats } from "./http.ts";
import { TABLEAU_EMULATOR_DEFAULTS, type TableauEmulatorOptions, type TableauFaults } from "./options.ts";
import type { SiteSnapshot } from "./site.ts";
import { TableauServerState } from "./state.ts";

export interface RunningTableauEmulator {
  /** Server root, e.g. http://127.0.0.1:8090 (the API lives under /api/{version}). */
  url: string;
  /** The options in force (faults change as setFaults is called). */
  options: Readonly<TableauEmulatorOptions>;
  /** Direct access to sites, users, groups and memberships, behind the API's back. */
  server: TableauServerState;
  stats: CallStats;
  setFaults(f: Partial<TableauFaults>): void;
  /** The sites as JSON, for `restore` on a later start. */
  snapshot(): SiteSnapshot[];
  close(): Promise<void>;
}

export async function startTableauEmulator(
  overrides: Partial<TableauEmulatorOptions> = {},
): Promise<RunningTableauEmulator> {
  const opts: TableauEmulatorOptions = { ...TABLEAU_EMULATOR_DEFAULTS, ...overrides };
  if (opts.sites.length === 0) opts.sites = [""];
  const state = new TableauServerState(opts.sites, opts.adminName, opts.licences);
  if (opts.restore) state.restore(opts.restore);
  const sessions = new SessionStore(opts);
  const stats = newCallStats();
  const { server, dropHeld } = createTableauHttpServer({ opts, state, sessions, stats });
  server.keepAliveTimeout = 5_000;
  // Whoever keeps the sites (the demo's data directory) hears of every answered write.
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (opts.onChange && req.method !== "GET" && req.method !== "HEAD") res.once("finish", opts.onChange);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}`,
    options: opts,
    server: state,
    stats,
    snapshot: () => state.snapshot(),
    setFaults(f) {
      for (const [k, v] of Object.entries(f)) if (v !== undefined) Object.assign(opts, { [k]: v });
    },
    close() {
      dropHeld();
      return new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
