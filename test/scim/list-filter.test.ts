import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH, createTestApp, type TestApp, user } from "../support/app.ts";
import { BACKENDS } from "../support/store.ts";

describe.each(BACKENDS)("listing and filtering Users on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ backend });
    for (let i = 1; i <= 25; i++) {
      const n = String(i).padStart(2, "0");
      await t.request
        .post("/scim/v2/Users")
        .set(AUTH)
        .send(user(`user${n}@example.com`, { externalId: `ext-${n}`, displayName: `User ${n}` }))
        .expect(201);
    }
  });
  afterAll(() => t.close());

  const list = (q: string) => t.request.get(`/scim/v2/Users?${q}`).set(AUTH);

  it("filters userName eq case-insensitively and returns a ListResponse with integers", async () => {
    const res = await list(`filter=${encodeURIComponent('userName eq "USER07@EXAMPLE.COM"')}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ totalResults: 1, itemsPerPage: 1, startIndex: 1 });
    expect(res.body.schemas).toEqual(["urn:ietf:params:scim:api:messages:2.0:ListResponse"]);
    expect(res.body.Resources[0].userName).toBe("user07@example.com");
  });

  it("answers a filter that matches nothing with 200 and totalResults 0", async () => {
    const res = await list(`filter=${encodeURIComponent('userName eq "nobody@example.com"')}`);
    expect(res.status).toBe(200);
    expect(res.body.totalResults).toBe(0);
    expect(res.body.Resources).toEqual([]);
  });

  it("supports co, sw, pr, and, or on userName, externalId, displayName, emails.value and id", async () => {
    const count = async (f: string) =>
      (await list(`filter=${encodeURIComponent(f)}&count=100`)).body.totalResults;
    expect(await count('userName sw "user1"')).toBe(10);
    expect(await count('displayName co "User 2"')).toBe(6);
    expect(await count("externalId pr")).toBe(25);
    expect(await count('externalId eq "ext-03" or externalId eq "ext-04"')).toBe(2);
    expect(await count('userName sw "user0" and displayName co "5"')).toBe(1);
    expect(await count('emails.value eq "USER11@example.com"')).toBe(1);
    const one = (await list(`filter=${encodeURIComponent('externalId eq "ext-09"')}`)).body.Resources[0];
    expect(await count(`id eq "${one.id}"`)).toBe(1);
  });

  it("pages with startIndex and count without repeating or skipping, sorted by userName", async () => {
    const seen: string[] = [];
    for (let start = 1; start <= 25; start += 10) {
      const res = await list(`startIndex=${start}&count=10&sortBy=userName`);
      expect(res.body.totalResults).toBe(25);
      expect(res.body.startIndex).toBe(start);
      seen.push(...res.body.Resources.map((r: { userName: string }) => r.userName));
    }
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect(seen).toEqual([...seen].sort());
    const desc = await list("count=3&sortBy=userName&sortOrder=descending");
    expect(desc.body.Resources.map((r: { userName: string }) => r.userName)).toEqual([
      "user25@example.com",
      "user24@example.com",
      "user23@example.com",
    ]);
  });

  it("answers count=0 with the total and no resources", async () => {
    const res = await list("count=0");
    expect(res.body).toMatchObject({ totalResults: 25, itemsPerPage: 0 });
    expect(res.body.Resources).toEqual([]);
  });

  it("rejects a malformed filter with 400 invalidFilter and a detail", async () => {
    const res = await list(`filter=${encodeURIComponent("userName eq")}`);
    expect(res.status).toBe(400);
    expect(res.body.scimType).toBe("invalidFilter");
    expect(res.body.detail.length).toBeGreaterThan(10);
    const unknown = await list(`filter=${encodeURIComponent('shoeSize eq "9"')}`);
    expect(unknown.status).toBe(400);
    expect(unknown.body.scimType).toBe("invalidFilter");
    expect(unknown.body.detail).toContain("shoeSize");
  });

  it("rejects a non-integer startIndex with 400 invalidValue", async () => {
    const res = await list("startIndex=abc");
    expect(res.status).toBe(400);
    expect(res.body.scimType).toBe("invalidValue");
  });

  it("projects attributes, always keeping id and schemas", async () => {
    const res = await list("count=1&attributes=userName");
    expect(Object.keys(res.body.Resources[0]).sort()).toEqual(["id", "schemas", "userName"]);
    const ex = await list("count=1&excludedAttributes=emails,name.givenName");
    expect(ex.body.Resources[0].emails).toBeUndefined();
    expect(ex.body.Resources[0].name).toEqual({ familyName: expect.any(String) });
  });

  it("answers POST /Users/.search like GET", async () => {
    const res = await t.request
      .post("/scim/v2/Users/.search")
      .set(AUTH)
      .send({
        schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        filter: 'userName sw "user2"',
        count: 2,
      });
    expect(res.status).toBe(200);
    expect(res.body.totalResults).toBe(6);
    expect(res.body.Resources).toHaveLength(2);
  });
});
