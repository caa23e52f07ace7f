// Shared by the tests that put a bridge in front of the Tableau emulator and read the site back.
import type { RunningTableauEmulator } from "../../src/emulators/tableau/index.ts";
import {
  createTableauTarget,
  type TableauTarget,
  TableauTargetConfig,
} from "../../src/targets/tableau/index.ts";

/** A bridge target named "tableau" signed in with the emulator's PAT, at serverUrl (the emulator or a proxy to it). */
export function tableauTargetEntry(
  emulator: RunningTableauEmulator,
  serverUrl: string = emulator.url,
): Record<string, unknown> {
  return {
    name: "tableau",
    kind: "tableau",
    serverUrl,
    auth: { pat: { name: emulator.options.patName, secret: emulator.options.patSecret } },
  };
}

/** A Tableau target of its own straight to the emulator, for reading the site back (close it when done). */
export function tableauCheckSite(emulator: RunningTableauEmulator): TableauTarget {
  return createTableauTarget(
    TableauTargetConfig.parse({
      name: "check",
      kind: "tableau",
      serverUrl: emulator.url,
      auth: { pat: { name: emulator.options.patName, secret: emulator.options.patSecret } },
    }),
  );
}
