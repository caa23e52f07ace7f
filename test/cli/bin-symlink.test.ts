// npx, `npm link` and `npm install -g` run the command through symlinks (relative, and chained).
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);

describe("scim-bridge through a symlink", () => {
  it("answers --help when called through a chain of relative and absolute links, as npm installs it", async () => {
    const root = mkdtempSync(join(tmpdir(), "bridge-bin-"));
    // npm link: <prefix>/lib/node_modules/scim-bridge → the checkout; <prefix>/bin/scim-bridge → ../lib/…/bin/scim-bridge
    const lib = join(root, "lib", "node_modules");
    mkdirSync(lib, { recursive: true });
    symlinkSync(join(import.meta.dirname, "../.."), join(lib, "scim-bridge"));
    const binDir = join(root, "bin");
    mkdirSync(binDir);
    symlinkSync(
      relative(binDir, join(lib, "scim-bridge", "bin", "scim-bridge")),
      join(binDir, "scim-bridge"),
    );
    // and one more absolute hop, like a PATH shim
    symlinkSync(join(binDir, "scim-bridge"), join(root, "shim"));
    for (const cmd of [join(binDir, "scim-bridge"), join(root, "shim")]) {
      const { stdout } = await run(cmd, ["--help"], { cwd: root });
      expect(stdout).toMatch(/Usage: scim-bridge/);
      expect(stdout).toMatch(/serve/);
    }
  });
});
