// Target kinds: one entry each. A new target (say ServiceNow) is a folder under targets/ and one line here.
import type { Logger } from "pino";
import { z } from "zod";
import { ConfigError } from "../config/index.ts";
import {
  createSalesforceTarget,
  SalesforceTargetConfig,
  salesforceConfigFromEnv,
} from "./salesforce/index.ts";
import { createScimTarget, ScimTargetConfig, scimConfigFromEnv } from "./scim/index.ts";
import { createTableauTarget, TableauTargetConfig, tableauConfigFromEnv } from "./tableau/index.ts";
import type { Target } from "./target.ts";
import { createTestTarget, TestTargetConfig } from "./test/index.ts";

export interface TargetDeps {
  logger?: Logger;
  /** The target id of another SCIM resource in the same target (e.g. a user's manager). */
  resolveLink?: (target: string, scimId: string) => Promise<string | undefined>;
}

interface Kind<S extends z.ZodType> {
  schema: S;
  create(config: z.infer<S>, deps: TargetDeps): Target;
  /** The single-instance shorthand by environment variables, e.g. TABLEAU_SERVER_URL. */
  fromEnv?(env: Record<string, string | undefined>): Record<string, unknown> | undefined;
}

const kind = <S extends z.ZodType>(k: Kind<S>) => k as unknown as Kind<z.ZodType>;

const KINDS: Record<string, Kind<z.ZodType>> = {
  salesforce: kind({
    schema: SalesforceTargetConfig,
    create: (c, d) =>
      createSalesforceTarget(c, {
        ...(d.logger ? { logger: d.logger } : {}),
        ...(d.resolveLink ? { resolveLink: (scimId: string) => d.resolveLink!(c.name, scimId) } : {}),
      }),
    fromEnv: (env) => salesforceConfigFromEnv(env),
  }),
  tableau: kind({
    schema: TableauTargetConfig,
    create: (c, d) => createTableauTarget(c, d.logger ? { logger: d.logger } : {}),
    fromEnv: (env) => tableauConfigFromEnv(env),
  }),
  scim: kind({
    schema: ScimTargetConfig,
    create: (c, d) =>
      createScimTarget(c, {
        ...(d.logger ? { logger: d.logger } : {}),
        ...(d.resolveLink ? { resolveLink: (scimId: string) => d.resolveLink!(c.name, scimId) } : {}),
      }),
    fromEnv: (env) => scimConfigFromEnv(env),
  }),
  test: kind({ schema: TestTargetConfig, create: (c) => createTestTarget(c) }),
};

/** Bridge-side settings every target kind accepts (read beside the kind's own schema). */
const TargetPolicy = z.object({
  preflight: z
    .enum(["record", "reject"], {
      error:
        'preflight must be "record" (store the write, show this target failed) or "reject" (refuse the write)',
    })
    .default("record"),
});

export function targetKinds(): string[] {
  return Object.keys(KINDS);
}

export interface BuiltTarget {
  name: string;
  scope?: string;
  preflight: "record" | "reject";
  target: Target;
  config: Record<string, unknown>;
}

/** Target configs from the YAML file plus the environment shorthands; every problem reported at once. */
export function targetConfigs(
  fromFile: { name: string; kind: string }[],
  env: Record<string, string | undefined>,
): Record<string, unknown>[] {
  const configs: Record<string, unknown>[] = [...fromFile];
  for (const k of Object.values(KINDS)) {
    const c = k.fromEnv?.(env);
    if (c && !configs.some((x) => x.name === c.name)) configs.push(c);
  }
  return configs;
}

export function buildTargets(configs: Record<string, unknown>[], deps: TargetDeps = {}): BuiltTarget[] {
  const problems: string[] = [];
  const out: BuiltTarget[] = [];
  const names = new Set<string>();
  configs.forEach((raw, i) => {
    const where = `targets[${i}]${raw.name ? ` (${String(raw.name)})` : ""}`;
    const k = KINDS[String(raw.kind)];
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
    out.push({
      name: config.name,
      ...(config.scope ? { scope: config.scope } : {}),
      preflight: policy.data.preflight,
      target: k.create(config, deps),
      config,
    });
  });
  if (problems.length) throw new ConfigError(problems);
  return out;
}
