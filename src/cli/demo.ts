// The zero-configuration demo: with no Tableau (or Salesforce) target configured, the local emulators are started
// in-process and targets pointed at them, so `npm start` shows the whole flow without a real org or site.
import { salesforceEmulatorTargetConfig, startSalesforceEmulator } from "../emulators/salesforce/index.ts";
import { startTableauEmulator, tableauEmulatorTargetConfig } from "../emulators/tableau/index.ts";

export interface DemoEmulators {
  targetConfigs: Record<string, unknown>[];
  banner: string[];
  close(): Promise<void>;
}

export async function startDemoEmulators(configured: Record<string, unknown>[]): Promise<DemoEmulators> {
  const closers: (() => Promise<void>)[] = [];
  const targetConfigs: Record<string, unknown>[] = [];
  const banner: string[] = [];
  const has = (kind: string) => configured.some((c) => c.kind === kind);
  try {
    if (!has("tableau")) {
      const e = await startTableauEmulator({ port: 0 });
      closers.push(() => e.close());
      targetConfigs.push(tableauEmulatorTargetConfig(e.url));
      banner.push(
        `Demo: no Tableau configured, so a local Tableau emulator runs at ${e.url} (target "tableau").`,
      );
    }
    if (!has("salesforce")) {
      const e = await startSalesforceEmulator({ port: 0 });
      closers.push(() => e.close());
      targetConfigs.push(salesforceEmulatorTargetConfig(e.url));
      banner.push(
        `Demo: no Salesforce configured, so a local Salesforce emulator runs at ${e.url} (target "salesforce").`,
      );
    }
  } catch (err) {
    for (const c of closers.reverse()) await c();
    throw err;
  }
  if (banner.length)
    banner.push('      Set DEMO=false to run without emulators; see README "Targets" for real sites.');
  return {
    targetConfigs,
    banner,
    async close() {
      for (const c of closers.reverse()) await c();
    },
  };
}
