// A V8 CPU profile of this process over a stretch of a benchmark (BENCH_PROFILE), for chrome://inspect or speedscope.
/** Starts the V8 CPU profiler in this process; the returned function stops it and writes bench-<kind>-<time>.cpuprofile. */
export async function startProfile(kind: string): Promise<() => Promise<string>> {
  const { Session } = await import("node:inspector/promises");
  const { writeFile } = await import("node:fs/promises");
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  await session.post("Profiler.start");
  return async () => {
    const { profile } = await session.post("Profiler.stop");
    session.disconnect();
    const file = `bench-${kind}-${Date.now()}.cpuprofile`;
    await writeFile(file, JSON.stringify(profile));
    return file;
  };
}
