// The zero-configuration demo: for every kind with a demo emulator and no target configured, the emulator is
// started in-process and a target pointed at it, so `npm start` shows the whole flow without a real org or site.
import { registeredKinds } from "../targets/registry.ts";

export interface DemoEmulators {
  targetConfigs: Record<string, unknown>[];
  banner: string[];
  close(): Promise<void>;
}

export async function startDemoEmulators(configured: Record<string, unknown>[]): Promise<DemoEmulators> {
  const closers: (() => Promise<void>)[] = [];
  const targetConfigs: Record<string, unknown>[] = [];
  const banner: string[] = [];
  try {
    for (const kind of registeredKinds()) {
      if (!kind.demo || configured.some((c) => c.kind === kind.name)) continue;
      const e = await kind.demo();
      closers.push(() => e.close());
      targetConfigs.push(e.targetConfig);
      banner.push(e.banner);
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
