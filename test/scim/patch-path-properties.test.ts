// Property tests of PATCH paths: any string as a path is either parsed by our filter parser (linear time) and
// applied, or refused with a 4xx SCIM error; nothing else escapes and nothing blocks the event loop.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { BridgeError } from "../../src/errors.ts";
import { toBridgeError } from "../../src/scim/errors.ts";
import { applyPatch } from "../../src/scim/patch.ts";
import { CORE_USER, declareScimSchemas, PATCH_OP } from "../../src/scim/schemas.ts";
import { parsePatch } from "../../src/scim/writes.ts";

const HANG_GUARD_MS = 1_000;

const user = {
  schemas: [CORE_USER],
  userName: "prop@example.com",
  title: "Canary",
  name: { givenName: "Pro", familyName: "Perty" },
  emails: [
    { value: "prop@example.com", type: "work", primary: true },
    { value: "p@home.example", type: "home" },
  ],
};

const piece = fc.constantFrom(
  "emails",
  "name",
  "givenName",
  "title",
  "userName",
  "members",
  "value",
  "type",
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
  ":",
  ".",
  ".x",
  "[",
  "]",
  "(",
  ")",
  " ",
  "eq",
  "co",
  "pr",
  "and",
  "or",
  "not",
  '"',
  '"work"',
  "\\",
  "\\\\",
  '\\"',
  "__proto__",
  "constructor",
  "bulkId:",
  "$ref",
  "\u0000",
  "\ud800",
);
const pathish = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.array(piece, { maxLength: 60 }).map((p) => p.join("")),
  // Shapes that made scimmy's path expressions backtrack: an unterminated quoted string full of backslashes
  // (exponential) and very many dotted segments (quadratic).
  fc
    .tuple(fc.integer({ min: 1, max: 60 }), fc.constantFrom("]", "", '"]'))
    .map(([n, end]) => `emails[value eq "${"\\".repeat(n)}${end}`),
  fc.integer({ min: 1, max: 60_000 }).map((n) => `name${".x".repeat(n)}`),
);

/** A thrown error is acceptable only as a client error with a SCIM status. */
function expectClientError(e: unknown) {
  const err = toBridgeError(e);
  expect(err, String(e)).toBeInstanceOf(BridgeError);
  expect(err.status, `${(e as Error).name}: ${(e as Error).message}`).toBeGreaterThanOrEqual(400);
  expect(err.status).toBeLessThan(500);
}

describe("PATCH paths", () => {
  beforeAll(() => declareScimSchemas());

  it("are applied or refused with a 4xx, quickly, whatever the string", async () => {
    await fc.assert(
      fc.asyncProperty(pathish, fc.constantFrom("add", "replace", "remove"), async (path, op) => {
        const started = performance.now();
        try {
          const ops = parsePatch(
            { schemas: [PATCH_OP], Operations: [{ op, path, ...(op === "remove" ? {} : { value: "x" }) }] },
            [CORE_USER],
          );
          await applyPatch("User", structuredClone(user), ops);
        } catch (e) {
          expectClientError(e);
        }
        expect(performance.now() - started).toBeLessThan(HANG_GUARD_MS);
      }),
      { numRuns: 1_500 },
    );
  });
});
