import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type RunningTableauEmulator,
  rawCall,
  startTableauEmulator,
} from "../../src/emulators/tableau/index.ts";

let e: RunningTableauEmulator;
let token = "";
let siteId = "";
let adminId = "";
const V = "/api/3.25";

type UserJson = Record<string, string>;
type UserList = { pagination: Record<string, string>; users: { user: UserJson[] } };

const users = (q = "", accept: "json" | "xml" = "json") =>
  rawCall(e.url, "GET", `${V}/sites/${siteId}/users${q}`, { token, accept });
const addUser = (user: object | string) =>
  rawCall(e.url, "POST", `${V}/sites/${siteId}/users`, {
    token,
    body: typeof user === "string" ? user : { user },
  });
const newId = async (name: string, siteRole = "Viewer") => {
  const r = await addUser({ name, siteRole });
  expect(r.status).toBe(201);
  return (r.json as { user: UserJson }).user.id ?? "";
};

beforeAll(async () => {
  e = await startTableauEmulator({ port: 0, licences: { Creator: 3, Explorer: 1 } });
});
afterAll(() => e.close());

beforeEach(async () => {
  const r = await rawCall(e.url, "POST", `${V}/auth/signin`, {
    body: {
      credentials: {
        personalAccessTokenName: e.options.patName,
        personalAccessTokenSecret: e.options.patSecret,
        site: { contentUrl: "" },
      },
    },
  });
  const c = (r.json as { credentials: { token: string; site: { id: string }; user: { id: string } } })
    .credentials;
  token = c.token;
  siteId = c.site.id;
  adminId = c.user.id;
});

describe("add user", () => {
  it("creates a user with 201 and Tableau's short user element (JSON)", async () => {
    const r = await addUser({ name: "ann@x.com", siteRole: "Viewer", authSetting: "SAML" });
    expect(r.status).toBe(201);
    expect(r.json).toEqual({
      user: {
        id: expect.any(String),
        name: "ann@x.com",
        siteRole: "Viewer",
        authSetting: "SAML",
        externalAuthUserId: "",
      },
    });
  });

  it("creates a user from an XML body and answers in XML", async () => {
    const r = await rawCall(e.url, "POST", `${V}/sites/${siteId}/users`, {
      token,
      accept: "xml",
      body: '<tsRequest><user name="bob&amp;co@x.com" siteRole="Explorer" authSetting="OpenID"/></tsRequest>',
    });
    expect(r.status).toBe(201);
    expect(r.text).toMatch(
      /<user id="[0-9a-f-]{36}" name="bob&amp;co@x.com" siteRole="Explorer" authSetting="OpenID" externalAuthUserId=""\/>/,
    );
  });

  it("answers 409017 when the name already exists on the site, whatever its case", async () => {
    await newId("dup@x.com");
    const r = await addUser({ name: "DUP@x.com", siteRole: "Viewer" });
    expect(r.status).toBe(409);
    expect(r.json).toMatchObject({ error: { code: "409017" } });
  });

  it("rejects an invalid site role with 400013 and an invalid authSetting with 400003", async () => {
    const role = await addUser({ name: "r@x.com", siteRole: "ServerAdministrator" });
    expect(role.status).toBe(400);
    expect(role.json).toMatchObject({ error: { code: "400013" } });
    const auth = await addUser({ name: "r@x.com", siteRole: "Viewer", authSetting: "Kerberos" });
    expect(auth.json).toMatchObject({ error: { code: "400003" } });
    const xml = await rawCall(e.url, "POST", `${V}/sites/${siteId}/users`, {
      token,
      accept: "xml",
      body: '<tsRequest><user name="r@x.com" siteRole="Boss"/></tsRequest>',
    });
    expect(xml.text).toMatch(/<error code="400013"><summary>Invalid site role<\/summary><detail>[^<]*Boss/);
    expect(e.server.site("").userByNameCi("r@x.com")).toBeUndefined();
  });

  it("rejects a malformed body with 400000", async () => {
    const r = await rawCall(e.url, "POST", `${V}/sites/${siteId}/users`, {
      token,
      body: "<tsRequest><user name=",
    });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ error: { code: "400000" } });
  });
});

describe("licence capacity", () => {
  it("adds the user as Unlicensed when no licence of the tier is free, and refuses such an update with 409014", async () => {
    const site = e.server.site("");
    const explorersFree = 1 - site.licencesUsed("Explorer");
    for (let i = 0; i < explorersFree; i++) await newId(`explorer${i}@x.com`, "Explorer");
    const r = await addUser({ name: "late-explorer@x.com", siteRole: "Explorer" });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ user: { siteRole: "Unlicensed" } });
    const id = (r.json as { user: UserJson }).user.id;
    const up = await rawCall(e.url, "PUT", `${V}/sites/${siteId}/users/${id}`, {
      token,
      body: { user: { siteRole: "ExplorerCanPublish" } },
    });
    expect(up.status).toBe(409);
    expect(up.json).toMatchObject({ error: { code: "409014" } });
    // Viewer licences are unlimited here.
    const viewer = await rawCall(e.url, "PUT", `${V}/sites/${siteId}/users/${id}`, {
      token,
      body: { user: { siteRole: "Viewer" } },
    });
    expect(viewer.json).toMatchObject({ user: { siteRole: "Viewer" } });
  });
});

describe("get and update user", () => {
  it("gets a user with all fields, and 404002 for an unknown id", async () => {
    const id = await newId("carl@x.com");
    const r = await rawCall(e.url, "GET", `${V}/sites/${siteId}/users/${id}`, { token });
    expect(r.json).toMatchObject({
      user: { id, name: "carl@x.com", siteRole: "Viewer", domain: { name: "local" } },
    });
    const missing = await rawCall(e.url, "GET", `${V}/sites/${siteId}/users/nope`, { token });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ error: { code: "404002" } });
  });

  it("updates fullName, email, siteRole and authSetting and returns the user element", async () => {
    const id = await newId("dora@x.com");
    const r = await rawCall(e.url, "PUT", `${V}/sites/${siteId}/users/${id}`, {
      token,
      body: { user: { fullName: "Dora D", email: "dora@x.com", siteRole: "Creator", authSetting: "SAML" } },
    });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      user: {
        name: "dora@x.com",
        fullName: "Dora D",
        email: "dora@x.com",
        siteRole: "Creator",
        authSetting: "SAML",
      },
    });
    const bad = await rawCall(e.url, "PUT", `${V}/sites/${siteId}/users/${id}`, {
      token,
      body: { user: { siteRole: "God" } },
    });
    expect(bad.json).toMatchObject({ error: { code: "400013" } });
  });

  it("updates from an XML body", async () => {
    const id = await newId("xml-upd@x.com");
    const r = await rawCall(e.url, "PUT", `${V}/sites/${siteId}/users/${id}`, {
      token,
      accept: "xml",
      body: '<tsRequest><user fullName="X M L" email="xml-upd@x.com"/></tsRequest>',
    });
    expect(r.text).toContain(
      '<user name="xml-upd@x.com" fullName="X M L" email="xml-upd@x.com" siteRole="Viewer"',
    );
  });
});

describe("query users", () => {
  beforeAll(async () => {
    const site = e.server.site("");
    for (const [name, role, last] of [
      ["q-alice@x.com", "Viewer", "2026-01-10T00:00:00Z"],
      ["q-bert@x.com", "Creator", "2026-02-10T00:00:00Z"],
      ["q-cleo@x.com", "Viewer", undefined],
    ] as const) {
      const u = site.addUser({ name, siteRole: role, fullName: name.toUpperCase() });
      if (last) site.signInUser(u.id, new Date(last));
    }
  });

  it("pages with string numbers and caps pageSize at 1000", async () => {
    const all = (await users()).json as UserList;
    const total = Number(all.pagination.totalAvailable);
    const p2 = (await users("?pageSize=2&pageNumber=2")).json as UserList;
    expect(p2.pagination).toEqual({ pageNumber: "2", pageSize: "2", totalAvailable: String(total) });
    expect(p2.users.user.map((u) => u.id)).toEqual(all.users.user.slice(2, 4).map((u) => u.id));
    const beyond = (await users(`?pageSize=1000&pageNumber=99`)).json as UserList;
    expect(beyond.users.user).toEqual([]);
    const tooBig = await users("?pageSize=1001");
    expect(tooBig.status).toBe(403);
    expect(tooBig.json).toMatchObject({ error: { code: "403014" } });
    expect((await users("?pageSize=0")).json).toMatchObject({ error: { code: "400007" } });
    expect((await users("?pageNumber=x")).json).toMatchObject({ error: { code: "400006" } });
  });

  it("filters by name, siteRole, lastLogin and name lists", async () => {
    const byName = (await users("?filter=name:eq:q-bert@x.com")).json as UserList;
    expect(byName.users.user.map((u) => u.name)).toEqual(["q-bert@x.com"]);
    expect(byName.pagination.totalAvailable).toBe("1");
    const none = (await users("?filter=name:eq:Q-BERT@x.com")).json as UserList;
    expect(none.users.user).toEqual([]);
    const ci = (await users("?filter=name:cieq:Q-BERT@x.com")).json as UserList;
    expect(ci.users.user).toHaveLength(1);
    const viewersSince = (
      await users(`?filter=${encodeURIComponent("siteRole:eq:Viewer,lastLogin:gte:2026-01-01T00:00:00Z")}`)
    ).json as UserList;
    expect(viewersSince.users.user.map((u) => u.name)).toEqual(["q-alice@x.com"]);
    const list = (await users(`?filter=${encodeURIComponent("name:in:[q-alice@x.com,q-cleo@x.com]")}`))
      .json as UserList;
    expect(list.users.user.map((u) => u.name).sort()).toEqual(["q-alice@x.com", "q-cleo@x.com"]);
    expect((await users("?filter=shoeSize:eq:9")).status).toBe(400);
  });

  it("sorts and selects fields", async () => {
    const sorted = (
      await users(
        `?filter=${encodeURIComponent("name:in:[q-alice@x.com,q-bert@x.com,q-cleo@x.com]")}&sort=name:desc`,
      )
    ).json as UserList;
    expect(sorted.users.user.map((u) => u.name)).toEqual(["q-cleo@x.com", "q-bert@x.com", "q-alice@x.com"]);
    const slim = (await users("?filter=name:eq:q-alice@x.com&fields=id,name")).json as UserList;
    expect(Object.keys(slim.users.user[0] ?? {})).toEqual(["id", "name"]);
    const all = (await users("?filter=name:eq:q-alice@x.com&fields=_all_")).json as UserList;
    expect(all.users.user[0]).toMatchObject({
      lastLogin: "2026-01-10T00:00:00Z",
      fullName: "Q-ALICE@X.COM",
      domain: { name: "local" },
    });
  });

  it("lists users in XML with pagination attributes", async () => {
    const r = await users("?filter=name:eq:q-alice@x.com", "xml");
    expect(r.text).toMatch(
      /<pagination pageNumber="1" pageSize="100" totalAvailable="1"\/><users><user id="[^"]+" name="q-alice@x.com" siteRole="Viewer" lastLogin="2026-01-10T00:00:00Z"/,
    );
  });

  it("sees changes made behind the API's back (drift)", async () => {
    const u = e.server.site("").userByNameCi("q-cleo@x.com")!;
    u.fullName = "Changed In Tableau";
    const r = (await users("?filter=name:eq:q-cleo@x.com")).json as UserList;
    expect(r.users.user[0]?.fullName).toBe("Changed In Tableau");
  });
});

describe("remove user", () => {
  it("removes a user with 204", async () => {
    const id = await newId("gone@x.com");
    expect((await rawCall(e.url, "DELETE", `${V}/sites/${siteId}/users/${id}`, { token })).status).toBe(204);
    expect((await rawCall(e.url, "GET", `${V}/sites/${siteId}/users/${id}`, { token })).status).toBe(404);
  });

  it("refuses to remove a content owner with 409003 and leaves the user Unlicensed", async () => {
    const id = await newId("owner@x.com", "Creator");
    e.server.site("").user(id).ownedContent = 3;
    const r = await rawCall(e.url, "DELETE", `${V}/sites/${siteId}/users/${id}`, { token, accept: "xml" });
    expect(r.status).toBe(409);
    expect(r.text).toContain('<error code="409003">');
    const after = await rawCall(e.url, "GET", `${V}/sites/${siteId}/users/${id}`, { token });
    expect(after.json).toMatchObject({ user: { siteRole: "Unlicensed" } });
  });

  it("removes a content owner when mapAssetsTo names the new owner", async () => {
    const id = await newId("owner2@x.com");
    e.server.site("").user(id).ownedContent = 2;
    const before = e.server.site("").user(adminId).ownedContent;
    const r = await rawCall(e.url, "DELETE", `${V}/sites/${siteId}/users/${id}?mapAssetsTo=${adminId}`, {
      token,
    });
    expect(r.status).toBe(204);
    expect(e.server.site("").user(adminId).ownedContent).toBe(before + 2);
    expect(e.server.site("").users.has(id)).toBe(false);
  });
});

describe("groups of a user", () => {
  it("lists the user's groups including All Users, from API 3.7", async () => {
    const id = await newId("member@x.com");
    const g = e.server.site("").createGroup({ name: "Analysts" });
    e.server.site("").addMember(g.id, id);
    const r = await rawCall(e.url, "GET", `${V}/sites/${siteId}/users/${id}/groups`, { token });
    const body = r.json as { pagination: Record<string, string>; groups: { group: { name: string }[] } };
    expect(body.groups.group.map((x) => x.name)).toEqual(["All Users", "Analysts"]);
    expect(body.pagination.totalAvailable).toBe("2");
    const old = await rawCall(e.url, "GET", `/api/3.6/sites/${siteId}/users/${id}/groups`, { token });
    expect(old.status).toBe(400);
  });
});
