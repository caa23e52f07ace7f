// Property tests of the filter parser and compiler: any string, any nesting, any value either compiles to SQL the
// database runs without error, or is refused with a FilterError (400 invalidFilter); never another exception, and
// never slowly (a hang guard, not a speed goal: bench/ has those).
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bridgeSchemaSet } from "../../src/schemas.ts";
import { compileFilter, FILTER_LIMITS, FilterError, parseFilter } from "../../src/store/filter/index.ts";
import { BACKENDS, openTestDb, type TestDb } from "../support/store.ts";

const HANG_GUARD_MS = 1_000;
const SCHEMAS = bridgeSchemaSet();

/** Runs `fn`; a FilterError is an accepted answer, anything else escapes. Returns how long it took. */
function timed(fn: () => void): number {
  const started = performance.now();
  try {
    fn();
  } catch (e) {
    if (!(e instanceof FilterError)) throw e;
  }
  return performance.now() - started;
}

// Pieces of filter syntax, so random sequences reach deep into the parser rather than failing at character one.
const piece = fc.constantFrom(
  "userName",
  "emails",
  "emails.value",
  "name.givenName",
  "meta.lastModified",
  "title",
  "active",
  "id",
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
  "members",
  "x.y.z",
  "eq",
  "ne",
  "co",
  "sw",
  "ew",
  "gt",
  "ge",
  "lt",
  "le",
  "pr",
  "and",
  "or",
  "not",
  "(",
  ")",
  "[",
  "]",
  '"',
  '"a"',
  '"\\\\',
  "\\",
  '"\\u0000"',
  '"\\ud800"',
  "1e999",
  "-0",
  "true",
  "null",
  ".value",
  "type",
  '"2024-02-30"',
  '"0001-01-01T00:00:00Z"',
);
const filterish = fc.array(piece, { maxLength: 40 }).map((parts) => parts.join(" "));

describe("the filter parser", () => {
  it("answers any string with an AST or a FilterError, quickly", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: "binary", maxLength: 300 }), filterish),
        (text) => {
          expect(timed(() => parseFilter(text))).toBeLessThan(HANG_GUARD_MS);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("refuses nesting and term counts beyond the limits with a FilterError, whatever their shape", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: FILTER_LIMITS.maxDepth + 1, max: 20_000 }),
        fc.constantFrom("(", "not (", "emails[", "(not ("),
        (depth, open) => {
          const close = open === "emails[" ? "]" : open === "(not (" ? "))" : ")";
          const text = `${open.repeat(depth)}title pr${close.repeat(depth)}`;
          expect(() => parseFilter(text)).toThrow(FilterError);
        },
      ),
      { numRuns: 50 },
    );
    const terms = Array(FILTER_LIMITS.maxTerms + 1)
      .fill('title eq "x"')
      .join(" or ");
    expect(() => parseFilter(terms)).toThrow(/more than 200 comparisons/);
  });
});

/** A filter built from real attributes, operators and arbitrary values: it should either run or be refused. */
const attribute = fc.constantFrom(
  "userName",
  "title",
  "displayName",
  "externalId",
  "emails.value",
  "emails.type",
  "name.givenName",
  "active",
  "id",
  "meta.lastModified",
  "meta.created",
  "meta.version",
  "emails.primary",
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
);
const value = fc.oneof(
  fc.string({ maxLength: 30 }).map((s) => JSON.stringify(s)),
  fc.string({ unit: "binary", maxLength: 10 }).map((s) => JSON.stringify(s)),
  fc
    .date({ min: new Date("0001-01-01"), max: new Date("9999-12-31"), noInvalidDate: true })
    .map((d) => `"${d.toISOString()}"`),
  fc.constantFrom(
    '"2024-02-30"',
    '"0000-01-01"',
    '"2024-01-01T00:00:00+23:59"',
    '"W/\\"3\\""',
    "1e308",
    "-1",
    "true",
    "false",
    "null",
  ),
  fc.double().map((n) => (Number.isFinite(n) ? String(n) : "0")),
);
const comparison = fc
  .tuple(attribute, fc.constantFrom("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"), value)
  .map(([a, op, v]) => `${a} ${op} ${v}`);
const leaf = fc.oneof(
  comparison,
  attribute.map((a) => `${a} pr`),
  comparison.map((c) => `emails[${c.replace(/^emails\./, "")}]`),
);
const filter = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.tuple(tie("node"), fc.constantFrom("and", "or"), tie("node")).map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie("node").map((n) => `not (${n})`),
  ),
})).node;

const PROP_USER = {
  userName: "prop@example.com",
  title: "Canary",
  active: true,
  name: { givenName: "Pro" },
  emails: [{ value: "prop@example.com", type: "work", primary: true }],
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
    employeeNumber: "7",
    manager: { value: "m" },
  },
};

for (const backend of BACKENDS) {
  describe(`compiled filters on ${backend}`, () => {
    let store: TestDb;
    beforeAll(async () => {
      store = await openTestDb(backend);
      // A row to evaluate the filters on: on an empty table the database may never look at a bad value.
      await store.db.query(
        "INSERT INTO users (id, user_name, display_name, data) VALUES (gen_random_uuid(), $1, $2, $3)",
        ["prop@example.com", "Prop", JSON.stringify(PROP_USER)],
      );
    });
    afterAll(() => store?.close());

    it("run without a database error, or are refused with a FilterError", async () => {
      await fc.assert(
        fc.asyncProperty(filter, async (text) => {
          const params: unknown[] = [];
          let where: string | undefined;
          const took = timed(() => {
            where = compileFilter(SCHEMAS.User, text, params, "t");
          });
          expect(took).toBeLessThan(HANG_GUARD_MS);
          if (where === undefined) return;
          // The database must accept every compiled filter: a failure here would be a 500 for the client.
          await store.db.query(`SELECT count(*) FROM users t WHERE ${where}`, params);
        }),
        { numRuns: 150 },
      );
    });
  });
}
