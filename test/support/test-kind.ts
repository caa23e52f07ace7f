// The "test" target kind, for tests only: provisions into the plain accounts API of test-target.ts. It proves
// the delivery engine end to end; idempotency lives here as in every real target: find by correlation key
// before creating, link if found. Importing this module registers the kind (vitest's setup file does, and
// bridge processes started by tests get it through NODE_OPTIONS=--import, see process.ts). What an answer means
// and the short retries in place are the bridge's retry policy, received like every kind's (KindDeps.retry).
import { z } from "zod";
import { diffFields } from "../../src/mapping/index.ts";
import { scimUserFromParts, text } from "../../src/targets/account-to-scim.ts";
import { vendorCode } from "../../src/targets/codes.ts";
import { defineKind, type RetryPolicy } from "../../src/targets/kind.ts";
import { registerTargetKind, targetKind } from "../../src/targets/registry.ts";
import type {
  CheckResult,
  DesiredUser,
  DriftTarget,
  GroupTarget,
  Operation,
  Outcome,
  PasswordTarget,
  Target,
  TargetAccount,
  TargetGroup,
} from "../../src/targets/target.ts";

export const TestTargetConfig = z.object({
  name: z.string().min(1),
  kind: z.literal("test"),
  url: z.string().url(),
  scope: z.string().optional(),
  batchSize: z.coerce.number().int().min(1).max(1000).default(50),
  concurrency: z.coerce.number().int().min(1).max(64).default(8),
  acceptsPasswords: z.boolean().default(false),
  timeoutMs: z.coerce.number().int().positive().default(10_000),
  /**
   * Calls per request through the retry policy's short retries in place (1: none, every failure goes back to the
   * dispatcher, which the delivery-engine tests count on).
   */
  attemptsInPlace: z.coerce.number().int().min(1).max(10).default(1),
});
export type TestTargetConfig = z.infer<typeof TestTargetConfig>;

interface Account {
  id: string;
  key: string;
  active: boolean;
  fields: Record<string, unknown>;
}

class HttpFailure extends Error {
  readonly outcome: Outcome;
  constructor(outcome: Outcome) {
    super(outcome.status === "done" ? "done" : outcome.message);
    this.outcome = outcome;
  }
}

/**
 * Pure: what an HTTP answer from the accounts API means for the job. Transient answers are the policy's (its own
 * code is HTTP_<status>); any other is permanent with the body's error.
 */
export function classifyTestTargetResponse(
  retry: RetryPolicy,
  status: number,
  body: string,
  retryAfter?: string | null,
): Outcome {
  const retryAfterMs = retry.retryAfterMs(retryAfter);
  const transient = retry.transport(status, body.slice(0, 200), {
    targetCode: vendorCode(`HTTP_${status}`),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
  if (transient) return transient;
  let code = vendorCode(`HTTP_${status}`);
  let message = body.slice(0, 200);
  try {
    const j = JSON.parse(body) as { error?: string; message?: string };
    code = vendorCode(j.error ?? code);
    message = j.message ?? j.error ?? message;
  } catch {}
  return { status: "failed", code, message };
}

/** The account an operation names no longer exists in the test target. */
const isGone = (e: unknown) =>
  e instanceof HttpFailure && e.outcome.status === "failed" && e.outcome.code === "no such account";

export type TestTarget = Target & GroupTarget & DriftTarget & Partial<PasswordTarget>;

export function createTestTarget(config: TestTargetConfig, deps: { retry: RetryPolicy }): TestTarget {
  const base = config.url.replace(/\/$/, "");
  const { retry } = deps;

  const call = <T>(method: string, path: string, body?: unknown): Promise<T> =>
    retry.shortRetry(() => exchange<T>(method, path, body), {
      classify: (e) => (e instanceof HttpFailure ? e.outcome : undefined),
      maxAttempts: config.attemptsInPlace,
    });

  async function exchange<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(base + path, {
        method,
        headers: body === undefined ? {} : { "Content-Type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(config.timeoutMs),
      });
    } catch (e) {
      // No answer (status 0): the policy's TARGET_NETWORK_ERROR.
      throw new HttpFailure(retry.transport(0, (e as Error).message)!);
    }
    const text = await res.text();
    if (res.ok) return (text ? JSON.parse(text) : undefined) as T;
    throw new HttpFailure(
      classifyTestTargetResponse(retry, res.status, text, res.headers.get("retry-after")),
    );
  }

  const findByKey = async (key: string, kind: "user" | "group") =>
    (await call<{ accounts: Account[] }>("GET", `/accounts?kind=${kind}&key=${encodeURIComponent(key)}`))
      .accounts[0];

  async function one(op: Operation): Promise<Outcome> {
    switch (op.kind) {
      case "user.upsert": {
        const key = String(op.user.data.userName);
        const fields = { ...op.user.data, groups: op.user.groups };
        const body = { key, fields, active: op.user.active };
        const existing = op.targetId ? { id: op.targetId } : await findByKey(key, "user");
        if (existing) {
          try {
            await call("PATCH", `/accounts/${existing.id}`, body);
            return { status: "done", targetId: existing.id };
          } catch (e) {
            // Linked account deleted behind our back: create it again.
            if (!isGone(e)) throw e;
          }
        }
        const created = await call<Account>("POST", "/accounts", { ...body, kind: "user" });
        return { status: "done", targetId: created.id };
      }
      case "user.deprovision": {
        // Without a link (a create whose answer was lost), the account is found by its key.
        const key = op.user ? String(op.user.data.userName) : undefined;
        const id = op.targetId ?? (key ? (await findByKey(key, "user"))?.id : undefined);
        if (!id) return { status: "done", detail: "no account to deprovision" };
        await call("PATCH", `/accounts/${id}`, { active: false });
        return { status: "done", targetId: id };
      }
      case "group.upsert": {
        const body = {
          key: op.group.displayName,
          fields: { displayName: op.group.displayName },
          members: op.group.memberTargetIds,
        };
        const existing = op.targetId ? { id: op.targetId } : await findByKey(op.group.displayName, "group");
        if (existing) {
          try {
            await call("PATCH", `/accounts/${existing.id}`, body);
            return { status: "done", targetId: existing.id };
          } catch (e) {
            // Linked group deleted behind our back: create it again, as for a user.
            if (!isGone(e)) throw e;
          }
        }
        const created = await call<Account>("POST", "/accounts", { ...body, kind: "group" });
        return { status: "done", targetId: created.id };
      }
      case "group.delete": {
        const id =
          op.targetId ?? (op.displayName ? (await findByKey(op.displayName, "group"))?.id : undefined);
        if (!id) return { status: "done", detail: "no group to delete" };
        try {
          await call("DELETE", `/accounts/${id}`);
        } catch (e) {
          if (!isGone(e)) throw e;
        }
        return { status: "done" };
      }
    }
  }

  return {
    name: config.name,
    kind: "test",
    batchSize: config.batchSize,
    ...(config.acceptsPasswords ? ({ acceptsPasswords: true } satisfies PasswordTarget) : {}),
    // Drift: the fields it would write that the account does not have, and the active state.
    driftedFields: (user: DesiredUser, account: TargetAccount) =>
      [
        ...diffFields({ ...user.data, groups: user.groups }, account.fields),
        ...(user.active === account.active ? [] : ["active"]),
      ].map((field) => ({ field })),
    async apply(ops) {
      const out: Outcome[] = new Array(ops.length);
      let next = 0;
      const worker = async () => {
        while (next < ops.length) {
          const i = next++;
          try {
            out[i] = await one(ops[i]!);
          } catch (e) {
            out[i] =
              e instanceof HttpFailure
                ? e.outcome
                : { status: "retry", code: "TARGET_ERROR", message: (e as Error).message };
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(config.concurrency, ops.length) }, worker));
      return out;
    },
    async check(): Promise<CheckResult[]> {
      try {
        await call("GET", "/accounts?key=__probe__");
        return [{ check: "reach the accounts API", ok: true, detail: base }];
      } catch (e) {
        return [
          {
            check: "reach the accounts API",
            ok: false,
            detail: (e as Error).message,
            fix: `start it, or fix url (${base})`,
          },
        ];
      }
    },
    async *listGroups(): AsyncIterable<TargetGroup[]> {
      const { accounts } = await call<{ accounts: (Account & { members?: string[] })[] }>(
        "GET",
        "/accounts?kind=group",
      );
      yield accounts.map((a) => ({ targetId: a.id, displayName: a.key, memberTargetIds: a.members ?? [] }));
    },
    async *listUsers(): AsyncIterable<TargetAccount[]> {
      const { accounts } = await call<{ accounts: Account[] }>("GET", "/accounts?kind=user");
      yield accounts.map((a) => ({ targetId: a.id, key: a.key, active: a.active, fields: a.fields }));
    },
  };
}

export const testKind = defineKind({
  name: "test",
  schema: TestTargetConfig,
  create: (c, d) => createTestTarget(c, d),
  // Its accounts hold the SCIM body as it was sent (plus the group names).
  scimUserFromAccount(a) {
    const f = a.fields;
    if (text(f.userName)) {
      const { groups: _groups, ...data } = f;
      return { ...data, userName: a.key, active: a.active };
    }
    return scimUserFromParts(a, { email: text(f.email), fullName: text(f.fullName) ?? text(f.displayName) });
  },
});

if (!targetKind("test")) registerTargetKind(testKind);
