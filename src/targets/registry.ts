// Target kinds: one line each. A new kind (say ServiceNow) is a folder under targets/ exporting a TargetKind
// (see kind.ts) and one line in KINDS below; everything else loops over the registered kinds.
import type { Logger } from "pino";
import { z } from "zod";
import { ConfigError } from "../config/index.ts";
import type { ExtensionSchema } from "../mapping/index.ts";
import type { RetryPolicy, TargetKind } from "./kind.ts";
import { salesforceKind } from "./salesforce/kind.ts";
import { scimKind } from "./scim/kind.ts";
import { tableauKind } from "./tableau/kind.ts";
import type { Target } from "./target.ts";

const KINDS = new Map<string, TargetKind>();

/** Adds a kind (the built-in ones below; tests add their own plain kind the same way). */
export function registerTargetKind(kind: TargetKind): void {
  if (KINDS.has(kind.name)) throw new Error(`target kind "${kind.name}" is registered twice`);
  KINDS.set(kind.name, kind);
}

registerTargetKind(salesforceKind);
registerTargetKind(tableauKind);
registerTargetKind(scimKind);

export function targetKinds(): string[] {
  return [...KINDS.keys()];
}

export function targetKind(name: string): TargetKind | undefined {
  return KINDS.get(name);
}

export function registeredKinds(): TargetKind[] {
  return [...KINDS.values()];
}

/** The SCIM User extensions of the registered kinds, in registration order. */
export function userExtensions(): ExtensionSchema[] {
  return registeredKinds().flatMap((k) => (k.userExtension ? [k.userExtension] : []));
}

/** Bridge-side settings every target kind accepts (read beside the kind's own schema). */
const TargetPolicy = z.object({
  preflight: z
    .enum(["record", "reject"], {
      error:
        'preflight must be "record" (store the write, show this target failed) or "reject" (refuse the write)',
    })
    .default("record"),
});

export interface TargetDeps {
  /** The bridge's retry policy (sync/retry.ts's retryPolicy), handed to every kind. */
  retry: RetryPolicy;
  logger?: Logger;
  /** The target id of another SCIM resource in the same target (e.g. a user's manager). */
  resolveLink?: (target: string, scimId: string) => Promise<string | undefined>;
}

/** A target instance as the bridge runs it: the implementation plus the bridge-side settings around it. */
export interface ConfiguredTarget {
  name: string;
  /** A SCIM filter on the user; undefined = everyone. */
  scope?: string;
  /**
   * What a user this target's pre-flight refuses does to the write: "record" (default) stores it and shows this
   * target `failed`; "reject" refuses the SCIM write with 400, for admins who want the IdP to see the refusal.
   */
  preflight?: "record" | "reject";
  target: Target;
  /** The parsed target entry (mapping, policies), for diagnostics. */
  config?: Record<string, unknown>;
}

/** Target configs from the YAML file plus the environment shorthands; every problem reported at once. */
export function targetConfigs(
  fromFile: { name: string; kind: string }[],
  env: Record<string, string | undefined>,
): Record<string, unknown>[] {
  const configs: Record<string, unknown>[] = [...fromFile];
  for (const k of KINDS.values()) {
    const c = k.fromEnv?.(env);
    if (c && !configs.some((x) => x.name === c.name)) configs.push(c);
  }
  return configs;
}

export function buildTargets(configs: Record<string, unknown>[], deps: TargetDeps): ConfiguredTarget[] {
  const problems: string[] = [];
  const out: ConfiguredTarget[] = [];
  const names = new Set<string>();
  configs.forEach((raw, i) => {
    const where = `targets[${i}]${raw.name ? ` (${String(raw.name)})` : ""}`;
    const k = KINDS.get(String(raw.kind));
    if (!k) {
      problems.push(
        `${where}.kind: "${String(raw.kind)}" is not a target kind; use one of ${targetKinds().join(", ")}`,
      );
      return;
    }
    // The kind's schema is strict about its own keys; the bridge-side ones are read apart.
    const { preflight, ...own } = raw;
    const parsed = k.schema.safeParse(own);
    const policy = TargetPolicy.safeParse({ preflight });
    for (const result of [parsed, policy]) {
      for (const issue of result.error?.issues ?? [])
        problems.push(`${where}.${issue.path.join(".")}: ${issue.message}`);
    }
    if (!parsed.success || !policy.success) return;
    const config = parsed.data as Record<string, unknown> & { name: string; scope?: string };
    if (names.has(config.name)) problems.push(`${where}.name: "${config.name}" is used by two targets`);
    names.add(config.name);
    const resolveLink = deps.resolveLink;
    out.push({
      name: config.name,
      ...(config.scope ? { scope: config.scope } : {}),
      preflight: policy.data.preflight,
      target: k.create(config, {
        retry: deps.retry,
        ...(deps.logger ? { logger: deps.logger } : {}),
        ...(resolveLink ? { resolveLink: (scimId: string) => resolveLink(config.name, scimId) } : {}),
      }),
      config,
    });
  });
  if (problems.length) throw new ConfigError(problems);
  return out;
}
