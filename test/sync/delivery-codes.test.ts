// Every code a delivery outcome or a pre-flight problem can carry is one the bridge registered (errors.ts's
// DELIVERY_ERRORS, or the codes.ts of a target kind's folder) or one the target sent (made by vendorCode()). tsc
// enforces it on Outcome and Problem; this scan finds a code literal written anywhere else (a plain object, a
// constant) that would land in a job's lastErrorCode or a link's errorCode unregistered.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { DELIVERY_ERRORS } from "../../src/errors.ts";
import { type OutcomeCode, type VendorCode, vendorCode } from "../../src/targets/codes.ts";

const ROOT = join(import.meta.dirname, "../..");
const SRC = join(ROOT, "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    // The emulators answer as Salesforce and Tableau do: their codes are the vendors'.
    if (e.isDirectory()) return path === join(SRC, "emulators") ? [] : sourceFiles(path);
    return e.name.endsWith(".ts") ? [path] : [];
  });
}

/**
 * `code: "X"`, `code = "X"`, `errorCode = "X"` (also in backquotes): a code written as a literal. Not `x.code : ""`
 * (a property read in a conditional) nor `code="` (an XML attribute in a pattern).
 */
const CODE_LITERAL = /(?<![.\w])(?:code|errorCode)(?:\s*:|\s+=)\s*(["'`])([^"'`\n]*)\1/g;

/** Every code literal in src/, with where it is; zod's issue codes (`ctx.addIssue({ code: "custom" })`) are not ours. */
function codeLiterals(): { code: string; at: string }[] {
  return sourceFiles(SRC).flatMap((file) =>
    readFileSync(file, "utf8")
      .split("\n")
      .flatMap((line, i) =>
        line.includes("addIssue(")
          ? []
          : [...line.matchAll(CODE_LITERAL)].map((m) => ({
              code: m[2]!,
              at: `${relative(ROOT, file)}:${i + 1}`,
            })),
      ),
  );
}

/** Each kind's codes.ts, by folder: its exported tuple of invented codes. */
async function kindCodes(): Promise<Map<string, readonly string[]>> {
  const targets = join(SRC, "targets");
  const kinds = new Map<string, readonly string[]>();
  for (const e of readdirSync(targets, { withFileTypes: true })) {
    const file = join(targets, e.name, "codes.ts");
    if (!e.isDirectory() || !readdirSync(join(targets, e.name)).includes("codes.ts")) continue;
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    kinds.set(e.name, Object.values(mod).filter(Array.isArray).flat() as string[]);
  }
  return kinds;
}

describe("delivery codes", () => {
  it("every code literal in src/ is in the bridge's registry or its kind's codes.ts", async () => {
    const kinds = await kindCodes();
    const registered = new Set([...Object.keys(DELIVERY_ERRORS), ...[...kinds.values()].flat()]);
    const found = codeLiterals();
    // The scan sees the sites it guards (a pattern that matched nothing would pass anything).
    for (const known of ["TARGET_ERROR", "WAITING_FOR_MEMBERS", "SCIM_BAD_ANSWER", "AMBIGUOUS_MATCH"])
      expect(found.map((f) => f.code)).toContain(known);
    expect(found.filter((f) => !registered.has(f.code))).toEqual([]);
  });

  it("each kind declares its invented codes in its folder, none of them the registry's or another kind's", async () => {
    const kinds = await kindCodes();
    expect([...kinds.keys()].sort()).toEqual(["salesforce", "scim", "tableau"]);
    expect(kinds.get("scim")).toContain("SCIM_BAD_ANSWER");
    expect(kinds.get("salesforce")).toContain("AMBIGUOUS_MATCH");
    expect(kinds.get("tableau")).toContain("ALL_USERS_RESERVED");
    const all = [...Object.keys(DELIVERY_ERRORS), ...[...kinds.values()].flat()];
    expect(all.filter((c, i) => all.indexOf(c) !== i)).toEqual([]);
  });

  it("every registered code is one some source file can give", async () => {
    const kinds = await kindCodes();
    // The registry's own keys are unquoted; the kinds' lists are left out, so a code counts only where it is given.
    const source = sourceFiles(SRC)
      .filter((f) => !f.endsWith("/codes.ts"))
      .map((f) => readFileSync(f, "utf8"))
      .join("\n");
    const unused = [...Object.keys(DELIVERY_ERRORS), ...[...kinds.values()].flat()].filter(
      (c) => !source.includes(`"${c}"`),
    );
    expect(unused).toEqual([]);
  });

  it("a target's own code passes only through vendorCode(); a literal must be registered (checked by tsc)", () => {
    // @ts-expect-error a literal neither the registry nor a kind declares is not an outcome code
    const stray: OutcomeCode = "NOT_A_REGISTERED_CODE";
    // @ts-expect-error a vendor's code is not written as a literal: it comes from the target's answer
    const vendor: VendorCode = "DUPLICATE_USERNAME";
    const kept: OutcomeCode = vendorCode("DUPLICATE_USERNAME");
    const registered: OutcomeCode = "TARGET_ERROR";
    // At run time a code is the plain string the target sent or the registry names.
    expect([stray, vendor, kept, registered]).toEqual([
      "NOT_A_REGISTERED_CODE",
      "DUPLICATE_USERNAME",
      "DUPLICATE_USERNAME",
      "TARGET_ERROR",
    ]);
  });
});
