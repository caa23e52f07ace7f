import { TABLEAU_EMULATOR_DEFAULTS as D } from "./options.ts";

/** How to point a `tableau` target at an emulator started with the demo PAT (the demo mode, benchmarks). */
export function tableauEmulatorTargetConfig(url: string, name = "tableau") {
  return {
    name,
    kind: "tableau",
    serverUrl: url,
    site: "",
    auth: { pat: { name: D.patName, secret: D.patSecret } },
  };
}
