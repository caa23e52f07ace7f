// Hostile and malformed requests against every surface (SCIM, Bulk, .search, admin): each answers a SCIM error with
// the right status and scimType, quickly, while the server stays healthy and a canary user and group stay unchanged.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, AUTH, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { BACKENDS } from "../support/store.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
/** Generous: every case is expected in milliseconds; this only stops a hang or an exponential regex. */
const HANG_GUARD_MS = 2_000;

interface Ids {
  user: string;
  group: string;
  other: string;
}

interface Case {
  name: string;
  method: "get" | "post" | "put" | "patch" | "delete";
  path: (ids: Ids) => string;
  /** An object is sent as JSON; a string is sent as is (application/scim+json). */
  body?: (ids: Ids) => unknown;
  headers?: Record<string, string>;
  admin?: boolean;
  status: number;
  scimType?: string;
  /** Extra checks on the response body. */
  check?: (body: Record<string, unknown>, ids: Ids) => void;
}

const nested = (levels: number, leaf = "1") => `${"[".repeat(levels)}${leaf}${"]".repeat(levels)}`;
const patchOp = (ops: unknown[]) => ({ schemas: [PATCH], Operations: ops });
const deepValue = (levels: number) =>
  `{"schemas":["${USER}"],"userName":"deep@example.com","title":${nested(levels)}}`;

const CASES: Case[] = [
  // 1. Nesting deeper than any SCIM body, in every body-taking endpoint.
  {
    name: "100k-level JSON in POST",
    method: "post",
    path: () => "/scim/v2/Users",
    body: () => deepValue(100_000),
    status: 400,
    scimType: "invalidSyntax",
  },
  {
    name: "100k-level JSON in PUT",
    method: "put",
    path: (i) => `/scim/v2/Users/${i.user}`,
    body: () => deepValue(100_000),
    status: 400,
    scimType: "invalidSyntax",
  },
  {
    name: "100k-level JSON in PATCH",
    method: "patch",
    path: (i) => `/scim/v2/Users/${i.user}`,
    body: () => `{"schemas":["${PATCH}"],"Operations":[{"op":"replace","value":${nested(100_000, "{}")}}]}`,
    status: 400,
    scimType: "invalidSyntax",
  },
  {
    name: "100k-level JSON in Bulk",
    method: "post",
    path: () => "/scim/v2/Bulk",
    body: () =>
      `{"schemas":["${BULK}"],"Operations":[{"method":"POST","bulkId":"a","path":"/Users","data":${nested(100_000, "{}")}}]}`,
    status: 400,
    scimType: "invalidSyntax",
  },
  {
    name: "100k-level JSON in .search",
    method: "post",
    path: () => "/scim/v2/.search",
    body: () => `{"schemas":["${SEARCH}"],"attributes":${nested(100_000)}}`,
    status: 400,
    scimType: "invalidSyntax",
  },
  // 2. Library errors with a 4xx status.
  {
    name: "gzip Content-Encoding on a plain body",
    method: "post",
    path: () => "/scim/v2/Users",
    headers: { "Content-Encoding": "gzip" },
    body: () => `{"schemas":["${USER}"],"userName":"gz@example.com"}`,
    status: 400,
    scimType: "invalidSyntax",
  },
  {
    name: "malformed percent-encoding in a resource id",
    method: "get",
    path: () => "/scim/v2/Users/%ZZ",
    status: 400,
    scimType: "invalidSyntax",
  },
  {
    name: "malformed percent-encoding in an admin path",
    method: "post",
    admin: true,
    path: () => "/admin/jobs/%ZZ/retry",
    status: 400,
    scimType: "invalidSyntax",
  },
  // 3. Text PostgreSQL cannot store.
  {
    name: "NUL in userName",
    method: "post",
    path: () => "/scim/v2/Users",
    body: () => ({ schemas: [USER], userName: "nul\u0000@example.com" }),
    status: 400,
    scimType: "invalidValue",
  },
  {
    name: "lone surrogate in title (PUT)",
    method: "put",
    path: (i) => `/scim/v2/Users/${i.user}`,
    body: () => `{"schemas":["${USER}"],"userName":"canary@example.com","title":"\\ud800"}`,
    status: 400,
    scimType: "invalidValue",
  },
  {
    name: "lone surrogate in a group displayName (PATCH)",
    method: "patch",
    path: (i) => `/scim/v2/Groups/${i.group}`,
    body: () =>
      `{"schemas":["${PATCH}"],"Operations":[{"op":"replace","path":"displayName","value":"x\\udfff"}]}`,
    status: 400,
    scimType: "invalidValue",
  },
  {
    name: "NUL in a filter value",
    method: "get",
    path: () => `/scim/v2/Users?filter=${encodeURIComponent('userName eq "a\u0000"')}`,
    status: 400,
    scimType: "invalidFilter",
  },
  {
    name: "escaped lone surrogate in a filter value",
    method: "get",
    path: () => `/scim/v2/Users?filter=${encodeURIComponent('title eq "\\ud800"')}`,
    status: 400,
    scimType: "invalidFilter",
  },
  {
    name: "NUL in an admin query parameter",
    method: "get",
    admin: true,
    path: () => "/admin/jobs?target=a%00b",
    status: 400,
    scimType: "invalidValue",
  },
  // 4. Dates JavaScript accepts and PostgreSQL does not.
  ...["2024-02-30", "0000-01-01", "2024-01-01T00:00:00+23:59"].map<Case>((date) => ({
    name: `filter date ${date}`,
    method: "get",
    path: () => `/scim/v2/Users?filter=${encodeURIComponent(`meta.lastModified gt "${date}"`)}`,
    status: 400,
    scimType: "invalidFilter",
  })),
  // 5. Integers beyond the safe range.
  {
    name: "startIndex beyond bigint",
    method: "get",
    path: () => "/scim/v2/Users?startIndex=9223372036854775808",
    status: 400,
    scimType: "invalidValue",
  },
  {
    name: "startIndex=1e30",
    method: "get",
    path: () => "/scim/v2/Users?startIndex=1e30",
    status: 400,
    scimType: "invalidValue",
  },
  {
    name: ".search startIndex 1e300",
    method: "post",
    path: () => "/scim/v2/Users/.search",
    body: () => `{"schemas":["${SEARCH}"],"startIndex":1e300}`,
    status: 400,
    scimType: "invalidValue",
  },
  {
    name: "admin job id beyond bigint",
    method: "post",
    admin: true,
    path: () => "/admin/jobs/99999999999999999999/retry",
    status: 404,
  },
  {
    name: "admin since=1e21",
    method: "get",
    admin: true,
    path: () => "/admin/deliveries?since=1e21",
    status: 400,
    scimType: "invalidValue",
  },
  // 6. Repeated query parameters.
  {
    name: "repeated filter",
    method: "get",
    path: () => "/scim/v2/Users?filter=id%20pr&filter=id%20pr",
    status: 400,
    scimType: "invalidFilter",
  },
  {
    name: "repeated sortBy",
    method: "get",
    path: () => "/scim/v2/Users?sortBy=userName&sortBy=title",
    status: 400,
    scimType: "invalidValue",
  },
  // 7. Filters beyond the bounds of the filter language.
  {
    name: "filter of 70,000 terms",
    method: "post",
    path: () => "/scim/v2/Users/.search",
    body: () => ({
      schemas: [SEARCH],
      filter: Array(70_000).fill("id pr").join(" or "),
    }),
    status: 400,
    scimType: "invalidFilter",
  },
  {
    name: "value-path filter of 1,000 or terms",
    method: "post",
    path: () => "/scim/v2/Users/.search",
    body: () => ({
      schemas: [SEARCH],
      filter: `emails[${Array.from({ length: 1_000 }, (_, k) => `value eq "${k}"`).join(" or ")}]`,
    }),
    status: 400,
    scimType: "invalidFilter",
  },
  {
    name: "value-path filter of 200 or terms still answers quickly (no JIT)",
    method: "post",
    path: () => "/scim/v2/Users/.search",
    body: () => ({
      schemas: [SEARCH],
      filter: `emails[${Array.from({ length: 200 }, (_, k) => `value eq "${k}@x"`).join(" or ")}]`,
    }),
    status: 200,
  },
  // 8. Values too long for an index.
  {
    name: "3 KB userName",
    method: "post",
    path: () => "/scim/v2/Users",
    body: () => ({ schemas: [USER], userName: `${"u".repeat(3000)}@example.com` }),
    status: 400,
    scimType: "invalidValue",
  },
  {
    name: "3 KB externalId by PATCH",
    method: "patch",
    path: (i) => `/scim/v2/Users/${i.user}`,
    body: () => patchOp([{ op: "replace", path: "externalId", value: "e".repeat(3000) }]),
    status: 400,
    scimType: "invalidValue",
  },
  {
    name: "3 KB group displayName",
    method: "post",
    path: () => "/scim/v2/Groups",
    body: () => ({ schemas: [GROUP], displayName: "g".repeat(3000) }),
    status: 400,
    scimType: "invalidValue",
  },
  // 9. A member filter on something that is no id.
  {
    name: "remove members[value eq not-a-uuid]",
    method: "patch",
    path: (i) => `/scim/v2/Groups/${i.group}`,
    body: () => patchOp([{ op: "remove", path: 'members[value eq "not-a-uuid"]' }]),
    status: 400,
    scimType: "invalidValue",
  },
  // 10. Paths that used to block the event loop.
  {
    name: "unterminated PATCH filter with 40 backslashes",
    method: "patch",
    path: (i) => `/scim/v2/Users/${i.user}`,
    body: () => patchOp([{ op: "replace", path: `emails[value eq "${"\\".repeat(40)}]`, value: "x" }]),
    status: 400,
    scimType: "invalidPath",
  },
  {
    name: "PATCH path of 60,000 segments",
    method: "patch",
    path: (i) => `/scim/v2/Users/${i.user}`,
    body: () => patchOp([{ op: "replace", path: `name${".x".repeat(60_000)}`, value: "x" }]),
    status: 400,
    scimType: "invalidPath",
  },
  {
    name: "Bulk path with 30,000 bulkId: repeats",
    method: "post",
    path: () => "/scim/v2/Bulk",
    body: () => ({
      schemas: [BULK],
      Operations: [
        {
          method: "PATCH",
          path: `/Users/${"bulkId:".repeat(30_000)}x`,
          data: patchOp([{ op: "replace", path: "title", value: "x" }]),
        },
      ],
    }),
    status: 200,
    check: (b) => expect((b.Operations as { status: string }[])[0]!.status).toBe("409"),
  },
  {
    name: "PATCH path of 600 characters (scimmy would split it in quadratic time)",
    method: "patch",
    path: (i) => `/scim/v2/Users/${i.user}`,
    body: () => patchOp([{ op: "replace", path: `emails[value eq "${".".repeat(600)}"].value`, value: "x" }]),
    status: 400,
    scimType: "invalidPath",
  },
  {
    name: "PATCH of 1,001 operations",
    method: "patch",
    path: (i) => `/scim/v2/Users/${i.user}`,
    body: () => patchOp(Array(1_001).fill({ op: "replace", path: "title", value: "x" })),
    status: 400,
    scimType: "invalidValue",
  },
  // 11. add/replace without a value must not delete the attribute.
  {
    name: "add title without value",
    method: "patch",
    path: (i) => `/scim/v2/Users/${i.user}`,
    body: () => patchOp([{ op: "add", path: "title" }]),
    status: 400,
    scimType: "invalidValue",
  },
  {
    name: "replace title without value",
    method: "patch",
    path: (i) => `/scim/v2/Users/${i.user}`,
    body: () => patchOp([{ op: "replace", path: "title" }]),
    status: 400,
    scimType: "invalidValue",
  },
  // 12. Prototype keys anywhere in a body.
  {
    name: "__proto__ members in a group PATCH",
    method: "patch",
    path: (i) => `/scim/v2/Groups/${i.group}`,
    body: (i) =>
      `{"schemas":["${PATCH}"],"Operations":[{"op":"add","value":{"__proto__":{"members":[{"value":"${i.other}"}]}}}]}`,
    status: 400,
    scimType: "invalidSyntax",
  },
  {
    name: "constructor key in a POST",
    method: "post",
    path: () => "/scim/v2/Users",
    body: () =>
      `{"schemas":["${USER}"],"userName":"proto@example.com","name":{"constructor":{"prototype":{}}}}`,
    status: 400,
    scimType: "invalidSyntax",
  },
  // 13. A uniqueness clash by PATCH names the value that clashed.
  {
    name: "PATCH to a taken userName",
    method: "patch",
    path: (i) => `/scim/v2/Users/${i.user}`,
    body: () => patchOp([{ op: "replace", path: "userName", value: "other@example.com" }]),
    status: 409,
    scimType: "uniqueness",
    check: (b) => expect(b.detail).toMatch(/other@example\.com/),
  },
  // 14. Malformed JSON never echoes a password.
  {
    name: "malformed JSON with a password",
    method: "post",
    path: () => "/scim/v2/Users",
    body: () => `{"userName":"pw@example.com","password":"hunter2-Secret!x" "title"}`,
    status: 400,
    scimType: "invalidSyntax",
    check: (b) => expect(JSON.stringify(b)).not.toMatch(/hunter2/),
  },
  // userName rules and self-membership.
  {
    name: "control character in userName",
    method: "post",
    path: () => "/scim/v2/Users",
    body: () => ({ schemas: [USER], userName: "tab\there@example.com" }),
    status: 400,
    scimType: "invalidValue",
  },
  {
    name: "a group as a member of itself",
    method: "patch",
    path: (i) => `/scim/v2/Groups/${i.group}`,
    body: (i) => patchOp([{ op: "add", path: "members", value: [{ value: i.group }] }]),
    status: 400,
    scimType: "invalidValue",
  },
];

for (const backend of BACKENDS) {
  describe(`hostile input (${backend})`, () => {
    let t: TestBridge;
    const ids = {} as Ids;
    let canary: { user: unknown; group: unknown };
    const snapshot = async () => ({
      user: (await t.request.get(`/scim/v2/Users/${ids.user}`).set(AUTH)).body,
      group: (await t.request.get(`/scim/v2/Groups/${ids.group}`).set(AUTH)).body,
    });

    beforeAll(async () => {
      t = await startTestBridge({ targets: [], backend });
      const make = async (path: string, body: object) =>
        (await t.request.post(path).set(AUTH).send(body).expect(201)).body.id as string;
      ids.user = await make("/scim/v2/Users", {
        schemas: [USER],
        userName: "canary@example.com",
        title: "Canary",
      });
      ids.other = await make("/scim/v2/Users", { schemas: [USER], userName: "other@example.com" });
      ids.group = await make("/scim/v2/Groups", {
        schemas: [GROUP],
        displayName: "Canaries",
        members: [{ value: ids.user }],
      });
      canary = await snapshot();
    });
    afterAll(() => t?.stop());

    it.each(CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
      const started = Date.now();
      let req = t.request[c.method](c.path(ids)).set(c.admin ? ADMIN : AUTH);
      if (c.headers) req = req.set(c.headers);
      if (c.body) {
        const body = c.body(ids);
        req = req
          .set("Content-Type", "application/scim+json")
          .send(typeof body === "string" ? body : JSON.stringify(body));
      }
      const res = await req;
      expect(Date.now() - started).toBeLessThan(HANG_GUARD_MS);
      expect(res.status, JSON.stringify(res.body)).toBe(c.status);
      if (c.status >= 400) {
        expect(res.headers["content-type"]).toMatch(/^application\/scim\+json/);
        expect(res.body.schemas).toEqual(["urn:ietf:params:scim:api:messages:2.0:Error"]);
        expect(res.body.scimType).toBe(c.scimType);
        // A detail names the problem briefly: never a whole hostile value.
        expect(String(res.body.detail).length).toBeLessThan(400);
      }
      c.check?.(res.body, ids);
      await t.request.get("/healthz").expect(200);
      expect(await snapshot()).toEqual(canary);
    });

    it("fails only the Bulk operation that holds a NUL, and writes the others", async () => {
      const res = await t.request
        .post("/scim/v2/Bulk")
        .set(AUTH)
        .send({
          schemas: [BULK],
          Operations: [
            {
              method: "POST",
              bulkId: "bad",
              path: "/Users",
              data: { schemas: [USER], userName: "bad\u0000@example.com" },
            },
            {
              method: "POST",
              bulkId: "good",
              path: "/Users",
              data: { schemas: [USER], userName: "bulk-good@example.com" },
            },
          ],
        })
        .expect(200);
      const [bad, good] = res.body.Operations as { status: string; response?: { scimType?: string } }[];
      expect(bad).toMatchObject({ status: "400", response: { scimType: "invalidValue" } });
      expect(good!.status).toBe("201");
    });

    it("trims a userName; the trimmed one is what is unique", async () => {
      const res = await t.request
        .post("/scim/v2/Users")
        .set(AUTH)
        .send({ schemas: [USER], userName: "  spaced@example.com\n" })
        .expect(201);
      expect(res.body.userName).toBe("spaced@example.com");
      await t.request
        .post("/scim/v2/Users")
        .set(AUTH)
        .send({ schemas: [USER], userName: "Spaced@example.com " })
        .expect(409);
    });

    it("logs no user attribute values and no internal errors", () => {
      const logs = t.logs.join("");
      expect(logs).not.toMatch(/hunter2|canary@example\.com|"unhandled error"/);
    });
  });
}
