/** Options of the Tableau emulator, with the demo defaults printed at startup. */
import type { SiteSnapshot } from "./site.ts";

/** Licence tiers a Tableau site sells; site roles draw on one of them. */
export type LicenceTier = "Creator" | "Explorer" | "Viewer";

export interface TableauEmulatorOptions {
  /** 0 picks a free port. */
  port: number;
  host: string;
  /** Site contentUrls; "" is the Default site. */
  sites: string[];
  patName: string;
  patSecret: string;
  /** Connected app (direct trust): JWT `iss` and header `kid`, and the HS256 key. */
  clientId: string;
  secretId: string;
  secretValue: string;
  /** Newest REST API version served; any 3.x up to it is accepted in the path. */
  apiVersion: string;
  productVersion: string;
  /** The site administrator every site starts with; PAT sign-ins act as this user. */
  adminName: string;
  latencyMs: number;
  /** Share of requests (0..1) answered with 500. */
  errorRate: number;
  /** Share of requests (0..1) never answered (the socket is dropped after timeoutHangMs). */
  timeoutRate: number;
  timeoutHangMs: number;
  /** Requests per minute over the whole emulator; 0 disables the limit. */
  rateLimitPerMin: number;
  /** Session lifetime; Tableau Cloud uses 120 minutes, Server 240. */
  tokenTtlS: number;
  /** Licence capacity per site, by tier (a site role key counts against its tier). Missing = unlimited. */
  licences: Partial<Record<LicenceTier, number>>;
  /** Start from these sites (a `snapshot()` of an earlier run) instead of fresh ones. */
  restore?: SiteSnapshot[];
  /** Called after each answered write request (to save a snapshot). */
  onChange?: () => void;
  /** Code for an expired session: the reference saw both 401000 and 401002. */
  expiredTokenCode: "401000" | "401002";
  /** How an empty JSON collection looks: `{"user":[]}` or `{}` (both seen in the wild). */
  emptyCollection: "array" | "object";
  /**
   * "cloud" behaves as Tableau Cloud: an update's fullName is ignored (and email before API 3.26), and the CSV
   * import does not use the Display Name column.
   */
  edition: "server" | "cloud";
  /** How long a CSV import or delete job runs, per row of the file, before it reports itself finished. */
  csvJobMsPerRow: number;
  /** Clock in ms, injectable so tests can expire tokens and JWTs without sleeping. */
  now: () => number;
}

export type TableauFaults = Pick<
  TableauEmulatorOptions,
  "latencyMs" | "errorRate" | "timeoutRate" | "rateLimitPerMin" | "tokenTtlS"
>;

export const TABLEAU_EMULATOR_DEFAULTS: TableauEmulatorOptions = {
  port: 8090,
  host: "127.0.0.1",
  sites: [""],
  patName: "scim-bridge-demo",
  patSecret: "demo-pat-secret",
  clientId: "demo-connected-app",
  secretId: "demo-secret-id",
  secretValue: "demo-secret-value-change-me",
  apiVersion: "3.25",
  productVersion: "2025.1.0",
  adminName: "admin@example.com",
  latencyMs: 0,
  errorRate: 0,
  timeoutRate: 0,
  timeoutHangMs: 120_000,
  rateLimitPerMin: 0,
  tokenTtlS: 7200,
  licences: {},
  expiredTokenCode: "401002",
  emptyCollection: "array",
  edition: "server",
  csvJobMsPerRow: 0.2,
  now: () => Date.now(),
};
