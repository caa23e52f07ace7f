// Shared by the tests that read the Tableau emulator's site back through a target of their own.

import type { RunningTableauEmulator } from "../../src/emulators/tableau/index.ts";
import { retryPolicy } from "../../src/sync/retry.ts";
import {
  createTableauTarget,
  type TableauTarget,
  TableauTargetConfig,
} from "../../src/targets/tableau/index.ts";

/** A Tableau target of its own straight to the emulator, for reading the site back (close it when done). */
export function tableauCheckSite(emulator: RunningTableauEmulator): TableauTarget {
  return createTableauTarget(
    TableauTargetConfig.parse({
      name: "check",
      kind: "tableau",
      serverUrl: emulator.url,
      auth: { pat: { name: emulator.options.patName, secret: emulator.options.patSecret } },
    }),
    { retry: retryPolicy },
  );
}
