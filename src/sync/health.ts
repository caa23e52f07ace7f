// Target health as the outbox shows it, shared by every process: work parked because a target refused the
// bridge's credentials. /admin/targets and doctor list it beside each target's own check().
import type { DELIVERY_ERRORS } from "../errors.ts";
import { parkedWith, type Queryable } from "../store/index.ts";
import type { CheckResult } from "../targets/target.ts";
import { CREDENTIALS_RETRY_MS } from "./retry.ts";

const CODE: keyof typeof DELIVERY_ERRORS = "TARGET_CREDENTIALS_REJECTED";

/** A failing check per target that has work parked on refused credentials. */
export async function credentialsParked(q: Queryable): Promise<Map<string, CheckResult>> {
  const out = new Map<string, CheckResult>();
  for (const p of await parkedWith(q, CODE)) {
    out.set(p.target, {
      check: "credentials",
      ok: false,
      detail: `${p.jobs} job(s) parked: the target refused the bridge's credentials (${p.message ?? CODE})`,
      fix: `fix the target's auth settings (token, secret, client id, user); parked work is retried every ${CREDENTIALS_RETRY_MS / 60_000} minutes and resumes at once when a sign-in works`,
    });
  }
  return out;
}
