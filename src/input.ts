// Edge validation of client input (README "Limits"): what every JSON body, query parameter and number must look
// like before it reaches a recursive walk, scimmy or the database. Failures are 400s that name the place.
import { BridgeError, excerpt } from "./errors.ts";
import { STORE_LIMITS, unstorableText } from "./store/limits.ts";

export const INPUT_LIMITS = {
  /** Nesting of a JSON body: a Bulk request with an extension's complex multi-valued attribute is about 8. */
  jsonDepth: 32,
} as const;

/** Keys that would give an object built from client JSON a prototype (or shadow one), anywhere in a body. */
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** Whether copying `key` into a plain object could change its prototype; code that copies client keys skips it. */
export const isPrototypeKey = (key: string) => FORBIDDEN_KEYS.has(key);

interface Frame {
  value: unknown;
  depth: number;
  key: string | number | undefined;
  parent: Frame | undefined;
}

function pathOf(frame: Frame): string {
  const parts: string[] = [];
  for (let f: Frame | undefined = frame; f?.key !== undefined; f = f.parent) {
    parts.push(
      typeof f.key === "number" ? `[${f.key}]` : `.${f.key.length > 40 ? `${f.key.slice(0, 40)}…` : f.key}`,
    );
  }
  return parts.length ? parts.reverse().join("").replace(/^\./, "") : "(the body)";
}

/**
 * The first problem in a parsed JSON value, found without recursion: nesting deeper than INPUT_LIMITS.jsonDepth,
 * a key such as `__proto__`, or (unless `strings` is false) a string PostgreSQL cannot store.
 */
export function jsonProblem(value: unknown, opts: { strings?: boolean } = {}): BridgeError | undefined {
  const checkStrings = opts.strings !== false;
  const stack: Frame[] = [{ value, depth: 0, key: undefined, parent: undefined }];
  while (stack.length) {
    const frame = stack.pop()!;
    const v = frame.value;
    if (typeof v === "string") {
      const why = checkStrings ? unstorableText(v) : undefined;
      if (why) return new BridgeError("SCIM_INVALID_VALUE", `The value at ${pathOf(frame)} ${why}`);
      continue;
    }
    if (!v || typeof v !== "object") continue;
    if (frame.depth >= INPUT_LIMITS.jsonDepth) {
      return new BridgeError(
        "SCIM_INVALID_SYNTAX",
        `The JSON body is nested more than ${INPUT_LIMITS.jsonDepth} levels deep (at ${pathOf(frame)})`,
      );
    }
    const depth = frame.depth + 1;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], depth, key: i, parent: frame });
      continue;
    }
    for (const key of Object.keys(v)) {
      const child: Frame = { value: (v as Record<string, unknown>)[key], depth, key, parent: frame };
      if (FORBIDDEN_KEYS.has(key)) {
        return new BridgeError(
          "SCIM_INVALID_SYNTAX",
          `The key "${key}" is not allowed (at ${pathOf(child)})`,
        );
      }
      const why = checkStrings ? unstorableText(key) : undefined;
      if (why) return new BridgeError("SCIM_INVALID_VALUE", `A key at ${pathOf(frame)} ${why}`);
      stack.push(child);
    }
  }
  return undefined;
}

/**
 * Query parameters: each at most once (except those listed as repeatable, e.g. `attributes`), and storable text.
 * Express turns `?a=1&a=2` into an array, which the code after this never has to consider.
 */
export function queryProblem(
  query: Record<string, unknown>,
  repeatable: ReadonlySet<string> = new Set(),
): BridgeError | undefined {
  for (const [key, raw] of Object.entries(query)) {
    const keyWhy = unstorableText(key);
    if (keyWhy) return new BridgeError("SCIM_INVALID_VALUE", `A query parameter name ${keyWhy}`);
    if (Array.isArray(raw) && !repeatable.has(key)) {
      return new BridgeError(
        key === "filter" ? "SCIM_INVALID_FILTER" : "SCIM_INVALID_VALUE",
        `The query parameter ${excerpt(key)} is given ${raw.length} times; give it once`,
      );
    }
    for (const v of Array.isArray(raw) ? raw : [raw]) {
      if (typeof v !== "string") {
        return new BridgeError(
          "SCIM_INVALID_VALUE",
          `The query parameter ${excerpt(key)} must be a plain value`,
        );
      }
      const why = unstorableText(v);
      if (why) {
        return new BridgeError(
          key === "filter" ? "SCIM_INVALID_FILTER" : "SCIM_INVALID_VALUE",
          `The query parameter ${excerpt(key)} ${why}`,
        );
      }
    }
  }
  return undefined;
}

/**
 * An integer parameter (from a query string or a JSON body): digits only, within ±(2^53 - 1), optionally bounded.
 * `1e30`, `9223372036854775808` and `1.5` are refused rather than rounded or passed to the database.
 */
export function integerInput(
  name: string,
  raw: unknown,
  bounds: { min?: number; max?: number } = {},
): number | undefined {
  if (raw === undefined || raw === null || raw === "") return undefined;
  const n =
    typeof raw === "number"
      ? raw
      : typeof raw === "string" && /^\s*[+-]?\d{1,16}\s*$/.test(raw)
        ? Number(raw)
        : NaN;
  if (!Number.isSafeInteger(n) || Math.abs(n) > STORE_LIMITS.maxInteger) {
    throw new BridgeError(
      "SCIM_INVALID_VALUE",
      `${name} must be an integer between ${bounds.min ?? -STORE_LIMITS.maxInteger} and ${bounds.max ?? STORE_LIMITS.maxInteger}, got ${excerpt(raw)}`,
    );
  }
  if ((bounds.min !== undefined && n < bounds.min) || (bounds.max !== undefined && n > bounds.max)) {
    throw new BridgeError(
      "SCIM_INVALID_VALUE",
      `${name} must be between ${bounds.min ?? -STORE_LIMITS.maxInteger} and ${bounds.max ?? STORE_LIMITS.maxInteger}, got ${n}`,
    );
  }
  return n;
}
