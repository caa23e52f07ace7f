// The scim-bridge command.
import { Command } from "commander";
import { ConfigError, loadConfig } from "../config/index.ts";
import { loggableError } from "../errors.ts";
import { migrate, openStore } from "../store/index.ts";
import { registeredKinds } from "../targets/registry.ts";
import { registerDoctorCommand } from "./doctor.ts";
import { registerHeldCommand } from "./held.ts";
import { registerImportCommand } from "./import.ts";
import { registerReconcileCommand } from "./reconcile.ts";
import { startServer } from "./serve.ts";

const program = new Command()
  .name("scim-bridge")
  .description("SCIM 2.0 server that provisions users and groups into Tableau and Salesforce")
  .showHelpAfterError();

program
  .command("serve")
  .description("run the SCIM server (configuration from environment variables and BRIDGE_CONFIG)")
  .action(async () => {
    const bridge = await startServer();
    // A promise rejected with nobody listening (a database failure on a path that forgot to catch it) is logged as
    // an error rather than ending the process: the IdP keeps its endpoint, and the work stays in the outbox.
    process.on("unhandledRejection", (err) =>
      bridge.logger.error(
        { err: loggableError(err) },
        "unhandled promise rejection; the bridge keeps serving",
      ),
    );
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.once(signal, () => {
        bridge.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      });
    }
  });

program
  .command("migrate")
  .description("apply database migrations and exit")
  .action(async () => {
    const config = loadConfig();
    const db = await openStore({
      ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
      dataDir: config.dataDir,
      migrate: false,
    });
    try {
      const { applied, current, notes } = await migrate(db);
      process.stdout.write(
        applied.length ? `applied ${applied.join(", ")}\n` : `up to date (${current ?? "no migrations"})\n`,
      );
      for (const note of notes) process.stdout.write(`${note}\n`);
    } finally {
      await db.close();
    }
  });

registerReconcileCommand(program);
registerImportCommand(program);
registerDoctorCommand(program);
registerHeldCommand(program);
const emulator = program
  .command("emulator")
  .description("run a local emulator of a target kind's API (a subcommand per kind that has one)");
for (const kind of registeredKinds()) kind.emulatorCommand?.(emulator);

program.parseAsync().catch((e: unknown) => {
  if (e instanceof ConfigError) process.stderr.write(`${e.message}\n`);
  else process.stderr.write(`scim-bridge: ${(e as Error).message ?? e}\n`);
  process.exit(1);
});
