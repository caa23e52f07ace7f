// Both demo emulators for a test file, started before its tests and closed after them, the bridge's target
// configuration for each, and a bridge delivering to them.
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
import { startTestBridge, type TestBridge } from "./bridge.ts";
import { fileFixture } from "./fixture.ts";
import type { Backend } from "./store.ts";

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

/**
 * A bridge on a test store (PGlite unless `backend` says) delivering to the emulators' targets, or to `only` one of
 * them: started before the file's tests, after the emulators, and stopped after them, before the emulators close.
 */
export function bridgeOnEmulators(
  emulators: BothEmulators,
  opts: { backend?: Backend; config?: Record<string, unknown>; only?: "tableau" | "salesforce" } = {},
): TestBridge {
  return fileFixture(
    "the bridge",
    () =>
      startTestBridge({
        backend: opts.backend,
        config: opts.config,
        targets: emulators.targets().filter((t) => !opts.only || t.kind === opts.only),
      }),
    (t) => t.stop(),
  );
}
