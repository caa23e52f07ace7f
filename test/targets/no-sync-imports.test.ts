// DESIGN.md's module table: targets/ may not import sync/. What a kind needs from sync (the retry policy) it
// receives through KindDeps, so this guards the injection from turning back into an import.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const targets = join(root, "src/targets");
const sync = join(root, "src/sync");

const files = (readdirSync(targets, { recursive: true }) as string[])
  .filter((f) => f.endsWith(".ts"))
  .map((f) => join(targets, f));

describe("targets/ and sync/", () => {
  it("no module under src/targets imports one under src/sync", () => {
    const offending = files.flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/(?:from|import)\s*\(?\s*"(\.[^"]+)"/g)]
        .map((m) => resolve(dirname(file), m[1]!))
        .filter((to) => to === sync || to.startsWith(`${sync}/`))
        .map((to) => `${relative(root, file)} → ${relative(root, to)}`),
    );
    expect(files.length).toBeGreaterThan(50);
    expect(offending).toEqual([]);
  });
});
