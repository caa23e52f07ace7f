// Objects built from client JSON never get a prototype from it: the edge refuses `__proto__`, `constructor` and
// `prototype` keys (hostile-input.test.ts), and the dialect normaliser, which copies every key, drops them as well.
import { describe, expect, it } from "vitest";
import { normalisePatchOperations, normaliseResourceBody } from "../../src/scim/dialects.ts";

const parsed = (text: string) => JSON.parse(text) as Record<string, unknown>;

describe("the dialect normaliser with prototype keys", () => {
  it("copies a body without giving the copy (or anything else) a prototype from it", () => {
    const out = normaliseResourceBody(
      parsed(
        '{"userName":"x","__proto__":{"admin":true},"name":{"constructor":{"prototype":{"polluted":1}}}}',
      ),
    ) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(out.admin).toBeUndefined();
    expect(Object.keys(out.name as object)).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("turns a no-path PATCH value into operations without the prototype's members", () => {
    const ops = normalisePatchOperations(
      {
        op: "add",
        value: parsed('{"__proto__":{"members":[{"value":"6f1c1d7e-0000-4000-8000-000000000000"}]}}'),
      },
      [],
    );
    for (const o of ops) {
      expect(Object.getPrototypeOf(o.value ?? {})).toBe(Object.prototype);
      expect((o.value as { members?: unknown } | undefined)?.members).toBeUndefined();
    }
  });
});
