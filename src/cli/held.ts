// `scim-bridge held [--target NAME] [--format table|json] [--local]`: the deprovisions the circuit breaker holds,
// each with whose access it removes (userName, displayName, also of a deleted user) beside its id.
import type { Command } from "commander";
import { loadConfig } from "../config/index.ts";
import { type ListedJob, listJobs } from "../store/index.ts";
import { table } from "./progress.ts";
import { openSession } from "./sync-session.ts";

type HeldRow = Pick<
  ListedJob,
  "id" | "target" | "resourceType" | "resourceId" | "userName" | "displayName" | "deleted"
> & { created: Date | string };

export function formatHeld(held: HeldRow[]): string {
  if (!held.length) return "No deprovisions are held.\n";
  return `${table(
    ["job", "target", "userName", "displayName", "deleted", "id", "held since"],
    held.map((j) => [
      j.id,
      j.target,
      j.userName ?? (j.resourceType === "Group" ? "(group)" : "—"),
      j.displayName ?? "—",
      j.deleted ? "yes" : "no",
      j.resourceId,
      new Date(j.created).toISOString(),
    ]),
  )}release them with POST /admin/targets/<name>/release, or in the console under Failed & held\n`;
}

export function registerHeldCommand(program: Command) {
  program
    .command("held")
    .description("list the deprovisions held by the circuit breaker, with whose access each removes")
    .option("--target <name>", "one target (default: every target)")
    .option("--format <format>", "table or json", "table")
    .option("--local", "never use a running bridge; open the store here", false)
    .action(async (o: { target?: string; format: string; local: boolean }) => {
      if (!["table", "json"].includes(o.format)) throw new Error("--format must be table or json");
      const session = await openSession(loadConfig(), process.env, { local: o.local, dispatch: false });
      try {
        const held: HeldRow[] =
          session.mode === "local"
            ? await listJobs(session.bridge.db, {
                state: "held",
                ...(o.target ? { target: o.target } : {}),
                limit: 1000,
              })
            : (
                await session.server.call<{ held: HeldRow[] }>(
                  "GET",
                  `/held${o.target ? `?target=${encodeURIComponent(o.target)}` : ""}`,
                )
              ).held;
        process.stdout.write(
          o.format === "json"
            ? `${JSON.stringify(
                held.map(({ secret: _s, ...j }: HeldRow & { secret?: unknown }) => j),
                null,
                2,
              )}\n`
            : formatHeld(held),
        );
      } finally {
        await session.close();
      }
    });
}
