// The sign-ins a process's targets report, written to the store's shared history in order: a refusal counts toward
// parking (retry.ts, signInVerdict), a success makes the work waiting on refused credentials due at once in every
// process. A batch awaits its target's writes before its outcomes are decided from the history.
import type { Logger } from "pino";
import { loggableError } from "../errors.ts";
import { type Db, recordSignIn } from "../store/index.ts";
import type { SignInResult } from "../targets/shared/signins.ts";
import type { ConfiguredTarget } from "./configured-target.ts";
import { SIGNIN_WAITING_CODES } from "./retry.ts";

export class SignInHistoryWriter {
  private readonly writes = new Map<string, Promise<void>>();
  private stopListening: (() => void)[] = [];
  private readonly db: Db;
  private readonly logger: Logger;
  /** Called with a target's name when a success woke work there. */
  private readonly woke: (target: string) => void;

  constructor(db: Db, logger: Logger, woke: (target: string) => void) {
    this.db = db;
    this.logger = logger;
    this.woke = woke;
  }

  listen(targets: ConfiguredTarget[]) {
    for (const t of targets)
      if (t.target.signIns) this.stopListening.push(t.target.signIns.on((r) => this.record(t.name, r)));
  }

  /** Stops listening; resolves once every sign-in heard is written. */
  async stop() {
    for (const off of this.stopListening) off();
    this.stopListening = [];
    await Promise.all(this.writes.values());
  }

  /** Resolves once the sign-ins heard so far for `target` are in the store. */
  written(target: string): Promise<void> {
    return this.writes.get(target) ?? Promise.resolve();
  }

  private record(target: string, result: SignInResult) {
    const write = this.written(target)
      .then(() => recordSignIn(this.db, target, result, SIGNIN_WAITING_CODES))
      .then(
        (woken) => {
          if (!woken) return;
          this.logger.info(
            { target, jobs: woken },
            "sign-in works again; work waiting on refused credentials resumes",
          );
          this.woke(target);
        },
        (err: unknown) =>
          this.logger.warn({ err: loggableError(err), target }, "could not record a sign-in in the store"),
      );
    this.writes.set(target, write);
  }
}
