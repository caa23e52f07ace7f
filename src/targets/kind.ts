// A target kind as a plugin: everything the rest of the bridge needs to know about one kind of target lives in
// the kind's folder and reaches the bridge through this object and one line in registry.ts.
import type { Command } from "commander";
import type { Logger } from "pino";
import type { z } from "zod";
import type { ExtensionSchema } from "../mapping/index.ts";
import type { Target, TargetAccount } from "./target.ts";

export interface KindDeps {
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
