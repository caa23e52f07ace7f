// The two targets bench/reconcile.ts can run against: how the emulator child seeds its accounts, the target
// config pointed at it, and how list calls are counted. Each seeded account i mirrors store user i.
import {
  type SalesforceApiStats,
  salesforceEmulatorTargetConfig,
  startSalesforceEmulator,
} from "../src/emulators/salesforce/index.ts";
import { startTableauEmulator } from "../src/emulators/tableau/index.ts";
import type { ConfiguredTarget } from "../src/targets/registry.ts";
import type { TableauTarget } from "../src/targets/tableau/index.ts";

export const userName = (i: number) => `user${i}@example.com`;

/** A running emulator child's view: reports `i targetId` per seeded user, then serves until stdin ends. */
export interface SeededEmulator {
  url: string;
  /** Emulator-side counters, sent back to the parent on request. */
  stats(): unknown;
  close(): Promise<void>;
}

export interface BenchTarget {
  name: string;
  description: string;
  /** Runs in the child: start the emulator and add `users` drifted-every-1000th accounts plus 50 unmanaged. */
  seed(users: number, seeded: (i: number, targetId: string) => void): Promise<SeededEmulator>;
  config(url: string): { name: string; kind: string } & Record<string, unknown>;
  /** The figures to report for list calls, from the built target and the child's stats. */
  calls(built: ConfiguredTarget, childStats: unknown): Record<string, unknown>;
}

const tableau: BenchTarget = {
  name: "tableau",
  description: "tableau emulator, pages of 1000",
  async seed(users, seeded) {
    const e = await startTableauEmulator({ port: 0 });
    const site = e.server.site("");
    for (let i = 0; i < users; i++) {
      const drifted = i % 1000 === 0;
      const u = site.addUser({
        name: userName(i),
        siteRole: "Viewer",
        fullName: drifted ? "Changed By Hand" : `User ${i}`,
        email: userName(i),
      });
      seeded(i, u.id);
    }
    for (let i = 0; i < 50; i++) site.addUser({ name: `stranger${i}@example.com`, siteRole: "Viewer" });
    return { url: e.url, stats: () => ({}), close: () => e.close() };
  },
  config: (url) => ({
    name: "tableau",
    kind: "tableau",
    serverUrl: url,
    auth: { pat: { name: "scim-bridge-demo", secret: "demo-pat-secret" } },
  }),
  calls: (built) => ({ tableauCalls: (built.target as TableauTarget).client.calls }),
};

const SOQL_LIST_ROUTES = ["GET /query", "GET /query/{locator}"];

const salesforce: BenchTarget = {
  name: "salesforce",
  description: "salesforce emulator, query batches of 2000",
  async seed(users, seeded) {
    const e = await startSalesforceEmulator({ port: 0 });
    const profileId = e.org.profileId("Standard User");
    // What the default mapping makes of the store's users (userName, displayName "User i", no name parts),
    // so that only the hand-edited Title of every 1000th user reads as drift.
    const user = (username: string, lastName: string, title: string | null) => ({
      Username: username,
      Email: username,
      FederationIdentifier: username,
      LastName: lastName,
      Alias: username.split("@")[0]!.slice(0, 8),
      Title: title,
      TimeZoneSidKey: "America/Los_Angeles",
      LocaleSidKey: "en_US",
      EmailEncodingKey: "UTF-8",
      LanguageLocaleKey: "en_US",
      ProfileId: profileId,
    });
    for (let i = 0; i < users; i++) {
      const u = e.org.insert(
        "User",
        user(userName(i), `User ${i}`, i % 1000 === 0 ? "Changed By Hand" : null),
      );
      seeded(i, String(u.Id));
    }
    for (let i = 0; i < 50; i++)
      e.org.insert("User", user(`stranger${i}@example.com`, `Stranger ${i}`, null));
    return { url: e.url, stats: () => e.stats, close: () => e.close() };
  },
  config: (url) => {
    return salesforceEmulatorTargetConfig(url);
  },
  calls: (_built, childStats) => {
    const byRoute = (childStats as Pick<SalesforceApiStats, "byRoute" | "apiCalls">).byRoute ?? {};
    return {
      soqlListCalls: SOQL_LIST_ROUTES.reduce((n, r) => n + (byRoute[r] ?? 0), 0),
      apiCalls: (childStats as SalesforceApiStats).apiCalls,
      byRoute,
    };
  },
};

export const BENCH_TARGETS: Record<string, BenchTarget> = { tableau, salesforce };
