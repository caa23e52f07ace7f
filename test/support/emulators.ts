// Both demo emulators for a test file, started before its tests and closed after them, and the bridge's target
// configuration for each.
import { afterAll, beforeAll } from "vitest";
import {
  type RunningSalesforceEmulator,
  salesforceEmulatorTargetConfig,
  startSalesforceEmulator,
} from "../../src/emulators/salesforce/index.ts";
import {
  type RunningTableauEmulator,
  startTableauEmulator,
  tableauEmulatorTargetConfig,
} from "../../src/emulators/tableau/index.ts";

type Options<F> = F extends (o?: infer O) => unknown ? NonNullable<O> : never;

export interface BothEmulators {
  readonly tableau: RunningTableauEmulator;
  readonly salesforce: RunningSalesforceEmulator;
  /** Target configurations for both, each with `overrides[kind]` laid over it. */
  targets(overrides?: {
    tableau?: Record<string, unknown>;
    salesforce?: Record<string, unknown>;
  }): Record<string, unknown>[];
}

/** `options` are each emulator's own (e.g. Tableau Cloud's edition), over port 0. */
export function bothEmulators(
  options: {
    tableau?: Options<typeof startTableauEmulator>;
    salesforce?: Options<typeof startSalesforceEmulator>;
  } = {},
): BothEmulators {
  const started: { tableau?: RunningTableauEmulator; salesforce?: RunningSalesforceEmulator } = {};
  beforeAll(async () => {
    started.tableau = await startTableauEmulator({ port: 0, ...options.tableau });
    started.salesforce = await startSalesforceEmulator({ port: 0, ...options.salesforce });
  });
  afterAll(async () => {
    await started.tableau?.close();
    await started.salesforce?.close();
  });
  return {
    get tableau() {
      return started.tableau!;
    },
    get salesforce() {
      return started.salesforce!;
    },
    targets: (overrides = {}) => [
      { ...tableauEmulatorTargetConfig(started.tableau!.url), ...overrides.tableau },
      { ...salesforceEmulatorTargetConfig(started.salesforce!.url), ...overrides.salesforce },
    ],
  };
}
