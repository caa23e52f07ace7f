// The zero-configuration demo: for every kind with a demo emulator and no target configured, the emulator is
// started in-process and a target pointed at it, so `npm start` shows the whole flow without a real org or site.
// Each emulator's state is kept in the data directory beside the store (a snapshot shortly after each change and on
// shutdown, reloaded at start), so a restarted demo still has the accounts the store's links point to.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { registeredKinds } from "../targets/registry.ts";

export interface DemoEmulators {
  targetConfigs: Record<string, unknown>[];
  banner: string[];
  close(): Promise<void>;
}

/** How soon after a change the snapshot is written: bursts of writes (an IdP's push) make one file write. */
const SAVE_DELAY_MS = 500;

const stateFile = (dataDir: string, kind: string) => join(dataDir, `demo-${kind}-emulator.json`);

function load(file: string, logger?: Logger): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined; // first start
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    logger?.warn({ err, file }, "demo emulator state is unreadable; starting the emulator afresh");
    return undefined;
  }
}

/** Written beside and renamed over, so a crash mid-write never leaves half a file. */
function save(file: string, snapshot: unknown) {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(snapshot));
  renameSync(tmp, file);
}

export async function startDemoEmulators(
  configured: Record<string, unknown>[],
  opts: { dataDir?: string; logger?: Logger } = {},
): Promise<DemoEmulators> {
  const closers: (() => Promise<void>)[] = [];
  const targetConfigs: Record<string, unknown>[] = [];
  const banner: string[] = [];
  const { dataDir, logger } = opts;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  try {
    for (const kind of registeredKinds()) {
      if (!kind.demo || configured.some((c) => c.kind === kind.name)) continue;
      const file = dataDir ? stateFile(dataDir, kind.name) : undefined;
      let timer: NodeJS.Timeout | undefined;
      let snapshot: (() => unknown) | undefined;
      const flush = () => {
        clearTimeout(timer);
        timer = undefined;
        if (!file || !snapshot) return;
        try {
          save(file, snapshot());
        } catch (err) {
          logger?.warn({ err, file }, "could not save the demo emulator's state");
        }
      };
      const saved = file ? load(file, logger) : undefined;
      const e = await kind.demo({
        ...(saved ? { saved } : {}),
        changed: () => {
          timer ??= setTimeout(flush, SAVE_DELAY_MS);
        },
      });
      snapshot = () => e.snapshot();
      closers.push(async () => {
        await e.close();
        flush();
      });
      targetConfigs.push(e.targetConfig);
      banner.push(
        e.banner + (file ? `\n      Its accounts are kept in ${file}${saved ? " (restored)" : ""}.` : ""),
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
