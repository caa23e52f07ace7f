// The Prefer header is parsed in linear time: long runs of white space (16 KB fit in Node's header limit) used to
// make its pattern backtrack quadratically, 0.4 s of blocked event loop per header.
import { describe, expect, it } from "vitest";
import { parsePrefer } from "../../src/scim/prefer.ts";

describe("parsePrefer with hostile white space", () => {
  it("answers at once and still reads well-formed preferences", () => {
    const hostile = Array.from({ length: 20 }, (_, i) => `w${i}${" \t".repeat(7_500)}@`);
    const started = performance.now();
    const prefs = parsePrefer([...hostile, " wait = 5 ; x", 'respond-async, wait="3"']);
    expect(performance.now() - started).toBeLessThan(1_000); // hang guard: was ~8 s
    expect(prefs.get("wait")).toBe("5");
    expect(prefs.has("respond-async")).toBe(true);
    expect([...prefs.keys()].some((k) => k.startsWith("w") && k !== "wait")).toBe(false);
  });
});
