// userNames and group displayNames are one name whatever their case, Unicode normalisation form or character width
// (PRECIS UsernameCaseMapped's mappings: width, toLowerCase, NFC; RFC 8265): a second spelling is 409 uniqueness,
// filters find either spelling (userName is caseExact=false, RFC 7643), and names are stored as sent.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nameKey } from "../../src/store/index.ts";
import { AUTH, createTestApp, type TestApp, user } from "../support/app.ts";
import { BACKENDS } from "../support/store.ts";

const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PRECOMPOSED = "Jos\u00e9"; // é as one code point (NFC)
const COMBINING = "Jose\u0301"; // e + COMBINING ACUTE ACCENT (NFD)

describe.each(BACKENDS)("names compared after Unicode normalisation and case folding, on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ backend });
  });
  afterAll(() => t.close());

  const find = async (path: string, filter: string) =>
    (await t.request.get(`${path}?filter=${encodeURIComponent(filter)}`).set(AUTH)).body;

  it.each([
    ["precomposed, then combining", `${PRECOMPOSED}@example.com`, `${COMBINING}@example.com`],
    [
      "combining, then precomposed, upper-cased",
      `${COMBINING}.b@example.com`,
      `${PRECOMPOSED}.B@EXAMPLE.COM`,
    ],
    ["ASCII, then fullwidth", "wide", "\uff57\uff49\uff44\uff45"],
  ])("a user with the same userName spelled another way is 409 uniqueness: %s", async (_, first, second) => {
    const a = await t.request.post("/scim/v2/Users").set(AUTH).send(user(first));
    expect(a.status).toBe(201);
    expect(a.body.userName).toBe(first);
    const b = await t.request.post("/scim/v2/Users").set(AUTH).send(user(second));
    expect(b.status, JSON.stringify(b.body)).toBe(409);
    expect(b.body.scimType).toBe("uniqueness");
    // Stored as sent; found by either spelling, in any case.
    for (const spelling of [first, second, second.toUpperCase()]) {
      const list = await find("/scim/v2/Users", `userName eq "${spelling}"`);
      expect(list.Resources.map((r: { userName: string }) => r.userName)).toEqual([first]);
    }
  });

  it("renaming another user to a colliding spelling (PUT) is 409 too", async () => {
    await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send(user(`${PRECOMPOSED}.c@example.com`))
      .expect(201);
    const other = (await t.request.post("/scim/v2/Users").set(AUTH).send(user("other.c@example.com"))).body;
    const res = await t.request
      .put(`/scim/v2/Users/${other.id}`)
      .set(AUTH)
      .send(user(`${COMBINING}.C@example.com`));
    expect(res.status).toBe(409);
  });

  it("a group displayName spelled another way is 409; a filter finds the group by either spelling", async () => {
    const a = await t.request
      .post("/scim/v2/Groups")
      .set(AUTH)
      .send({ schemas: [GROUP], displayName: `Équipe ${PRECOMPOSED}` });
    expect(a.status).toBe(201);
    const b = await t.request
      .post("/scim/v2/Groups")
      .set(AUTH)
      .send({ schemas: [GROUP], displayName: `E\u0301QUIPE ${COMBINING}` });
    expect(b.status).toBe(409);
    expect(b.body.scimType).toBe("uniqueness");
    const list = await find("/scim/v2/Groups", `displayName eq "E\u0301quipe ${COMBINING}"`);
    expect(list.totalResults).toBe(1);
    const co = await find("/scim/v2/Groups", `displayName co "${COMBINING.toUpperCase()}"`);
    expect(co.totalResults).toBe(1);
  });

  it("a userName whose key outgrows its index (characters NFC expands threefold) is 400, never a 500", async () => {
    const expanding = "\u{1D160}".repeat(256); // 512 UTF-16 units, allowed; NFC makes each three code points
    const res = await t.request.post("/scim/v2/Users").set(AUTH).send(user(expanding));
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/userName is too long once case and Unicode normalisation are applied/);
  });

  it("a bulk of creates that collide only after normalisation: the second is 409", async () => {
    const res = await t.request
      .post("/scim/v2/Bulk")
      .set(AUTH)
      .send({
        schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        Operations: [
          { method: "POST", path: "/Users", bulkId: "a", data: user(`${PRECOMPOSED}.d@example.com`) },
          { method: "POST", path: "/Users", bulkId: "b", data: user(`${COMBINING}.D@example.com`) },
        ],
      });
    expect(res.body.Operations.map((o: { status: string }) => o.status)).toEqual(["201", "409"]);
  });

  // Characters where case, composition and width matter, so that generated names hit the interesting cases often.
  const char = fc.oneof(
    fc.constantFrom(
      ..."aAeEiIoOsSzZ0._-@ \u00e9\u00c9\u00f1\u00d1\u00e5\u00c5\u00df\u0130\u0131\u03a3\u03c3\u03c2",
    ),
    fc.constantFrom("\u0301", "\u0308", "\u030a", "\u0327", "\u0323", "\u0345"),
    fc.constantFrom(..."\u1e9e\u212b\u2126\u00c5\u01c5\u1f88\uff21\uff41\uff10\u3000"),
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }),
  );
  const spelling = fc.array(char, { minLength: 1, maxLength: 12 }).map((cs) => cs.join(""));
  let n = 0;

  it("any name: its NFC, NFD, lower-case and (where case folds back) upper-case spellings are one name", async () => {
    await fc.assert(
      fc.asyncProperty(
        spelling,
        fc.constantFrom("NFC", "NFD", "lower", "upper", "same"),
        fc.constantFrom("NFC", "NFD", "lower", "upper", "same"),
        async (s, from, to) => {
          const variant = (how: string, x: string) =>
            how === "NFC" || how === "NFD"
              ? x.normalize(how)
              : how === "lower"
                ? x.toLowerCase()
                : how === "upper"
                  ? x.toUpperCase()
                  : x;
          const base = `p${n++}-${s}`;
          const [a, b] = [variant(from, base), variant(to, base)];
          // toLowerCase is PRECIS's case mapping: ß and SS, ı and I are different names there, and here.
          fc.pre(nameKey(a) === nameKey(b));
          fc.pre(a.trim() === a && b.trim() === b && !/\p{Cc}/u.test(a + b));
          const first = await t.request.post("/scim/v2/Users").set(AUTH).send(user(a));
          expect(first.status, JSON.stringify(first.body)).toBe(201);
          expect(first.body.userName).toBe(a);
          const second = await t.request.post("/scim/v2/Users").set(AUTH).send(user(b));
          expect(second.status, `${JSON.stringify(a)} then ${JSON.stringify(b)}`).toBe(409);
          const list = await find("/scim/v2/Users", `userName eq ${JSON.stringify(b)}`);
          expect(list.Resources.map((r: { id: string }) => r.id)).toEqual([first.body.id]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("NFC, NFD and case variants always have one key (the mapping itself, on any string)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 30 }), spelling, (x, y) => {
        for (const s of [x, y]) {
          const k = nameKey(s);
          expect(nameKey(s.normalize("NFD"))).toBe(k);
          expect(nameKey(s.normalize("NFC"))).toBe(k);
          expect(nameKey(s.toLowerCase())).toBe(k);
          expect(nameKey(k)).toBe(k);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
