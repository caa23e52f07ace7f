// A target kind as a plugin: everything the rest of the bridge needs to know about one kind of target lives in
// the kind's folder and reaches the bridge through this object and one line in registry.ts.
import type { Command } from "commander";
import type { Logger } from "pino";
import type { z } from "zod";
import type { ExtensionSchema } from "../mapping/index.ts";
import type { VendorCode } from "./codes.ts";
import type { Outcome, Target, TargetAccount } from "./target.ts";

/** An outcome that asks for another attempt. */
export type Retry = Extract<Outcome, { status: "retry" }>;

/** What a failed call's transport said besides its status, for RetryPolicy.transport. */
export interface TransportFacts {
  /** The target's own code when it sent one (kept, e.g. SERVER_UNAVAILABLE); else a registry code names the case. */
  targetCode?: VendorCode;
  /** The target's Retry-After, in milliseconds. */
  retryAfterMs?: number;
  /** Status 0 because the call timed out (not refused or reset). */
  timedOut?: boolean;
}

/** How a kind that opts into short retries in place runs a call (RetryPolicy.shortRetry). */
export interface ShortRetryOptions {
  /** What a failure means: only a "retry" outcome is tried again here (its delayMs is the target's Retry-After). */
  classify(e: unknown): Outcome | undefined;
  /** Calls in all, the first included (default 3). */
  maxAttempts?: number;
  /** A wait longer than this (a long Retry-After) is not waited out here: the failure goes back (default 10 s). */
  maxWaitMs?: number;
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Told before each wait (a debug log line). */
  onRetry?(e: unknown, waitMs: number): void;
}

/**
 * The bridge's retry policy as every kind receives it (KindDeps.retry; its one implementation is sync/retry.ts,
 * which targets do not import): which answers are transient, how Retry-After reads, what a refused sign-in is,
 * and short retries in place for the kinds that opt in.
 */
export interface RetryPolicy {
  /** Whether an HTTP status (0 = no answer) is transient by itself: no answer, 408, 429 and every 5xx. */
  transient(status: number): boolean;
  /** An HTTP Retry-After as milliseconds from `now`, or undefined when absent or unreadable. */
  retryAfterMs(value: string | null | undefined, now?: number): number | undefined;
  /** The retry a transient status calls for (whatever the body says), or undefined when it is not transient. */
  transport(status: number, message: string, facts?: TransportFacts): Retry | undefined;
  /** A sign-in refused (wrong secret, revoked token, unknown client): parked, and the target shows unhealthy. */
  credentialsRejected(vendorCode: string, message: string, delayMs?: number): Retry;
  /** Runs `fn`, retrying a transient failure a few times in place with a short backoff, then throws it. */
  shortRetry<T>(fn: () => Promise<T>, options: ShortRetryOptions): Promise<T>;
}

export interface KindDeps {
  /** The retry policy (transport classification, short retries in place): every kind gets it from the bridge. */
  retry: RetryPolicy;
  logger?: Logger;
  /** The target id of another SCIM resource in the same target (e.g. a user's manager), when linked. */
  resolveLink?: (scimId: string) => Promise<string | undefined>;
}

/**
 * An emulator of the kind started for the zero-configuration demo, with a target entry pointing at it; the
 * provisioning benchmark (bench/provision.ts) starts the same one and reads its call counts.
 */
export interface DemoEmulator {
  url: string;
  targetConfig: Record<string, unknown>;
  /** One line for the startup banner: what runs where. */
  banner: string;
  /** The emulator's state as JSON, for `DemoState.saved` on the next start. */
  snapshot(): unknown;
  /** API calls answered, in all and by "METHOD /route" (ids as placeholders). */
  readonly stats: { readonly apiCalls: number; readonly byRoute: Record<string, number>; reset(): void };
  /** Whether a route counted in `stats.byRoute` changes something in the target (reads and sign-ins do not). */
  writes(route: string): boolean;
  /**
   * What bounds the requests the bridge has in flight against it: one chain of dependent calls per dispatcher
   * worker ("worker"), or the target's `concurrency` shared by all workers ("concurrency").
   */
  readonly inFlight: "worker" | "concurrency";
  close(): Promise<void>;
}

/** An emulator started for a benchmark: every call answered after `latencyMs`, and no licence or API budget runs out. */
export interface BenchEmulatorOptions {
  latencyMs: number;
}

/** What the demo keeps of an emulator across restarts (in the data directory, beside the store). */
export interface DemoState {
  /** The last snapshot, when there is one. */
  saved?: unknown;
  /** The emulator calls this after each write, so that a snapshot is taken. */
  changed(): void;
}

export interface TargetKind<S extends z.ZodType = z.ZodType> {
  /** The `kind:` of a target entry. */
  name: string;
  /** The target entry's schema; it extends the shared base (name, kind, scope). */
  schema: S;
  create(config: z.output<S>, deps: KindDeps): Target;
  /** The kind's SCIM User extension (per-user overrides of its mapping), served and validated by the SCIM layer. */
  userExtension?: ExtensionSchema;
  /** The single-instance shorthand by environment variables (TABLEAU_SERVER_URL, …), or undefined. */
  fromEnv?(env: Record<string, string | undefined>): Record<string, unknown> | undefined;
  /** An account of this kind as a SCIM User body, for import (userName from the key, active from the account). */
  scimUserFromAccount?(account: TargetAccount): Record<string, unknown>;
  /** Lower-cased keys an account may correlate by with a store user, best first; default: its key. */
  correlationKeys?(account: TargetAccount): string[];
  /** Starts a local emulator for the demo when no target of this kind is configured (or for a benchmark). */
  demo?(state: DemoState, bench?: BenchEmulatorOptions): Promise<DemoEmulator>;
  /** Adds `scim-bridge emulator <kind>` (the emulator run on its own) under the given command. */
  emulatorCommand?(emulator: Command): void;
}

/** Keeps the config type of `create` tied to the kind's own schema while the registry holds them all. */
export const defineKind = <S extends z.ZodType>(k: TargetKind<S>) => k as unknown as TargetKind;

/** Correlation keys from an account's values, best first: its distinct non-blank strings, lower-cased. */
export function correlationKeysOf(...values: unknown[]): string[] {
  return [
    ...new Set(
      values.filter((k): k is string => typeof k === "string" && k.trim() !== "").map((k) => k.toLowerCase()),
    ),
  ];
}
