import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The plain "test" target kind, which only tests use.
    setupFiles: ["test/support/test-kind.ts"],
    // Hang guards, not speed goals: tests that start bridge processes (PGlite boots in seconds) run slowly on a
    // loaded 2-core CI machine.
    testTimeout: 90_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Vitest's default in a run leaves one core free: on a 2-core CI machine that ran the files one at a time, and
    // most of the suite waits on sockets, child processes and the database rather than on the CPU (808 → 580 s).
    maxWorkers: Math.max(2, availableParallelism()),
    // In CI a machine-readable summary too, so .ci/run can print a plain "N passed, N failed" closing line.
    reporters: process.env.CI ? ["default", ["json", { outputFile: "test-results.json" }]] : ["default"],
  },
});
