import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type RunningTableauEmulator,
  rawCall,
  startTableauEmulator,
} from "../../src/emulators/tableau/index.ts";

let e: RunningTableauEmulator;
let token = "";
let siteId = "";
const V = "/api/3.25";

type GroupJson = { id: string; name: string; userCount?: string; minimumSiteRole?: string };

const base = () => `${V}/sites/${siteId}/groups`;
const createGroup = (group: object) => rawCall(e.url, "POST", base(), { token, body: { group } });
const newGroup = async (name: string) => {
  const r = await createGroup({ name });
  expect(r.status).toBe(201);
  return (r.json as { group: GroupJson }).group.id;
};
const memberNames = async (gid: string, q = "") => {
  const r = await rawCall(e.url, "GET", `${base()}/${gid}/users${q}`, { token });
  return (r.json as { users: { user: { name: string }[] } }).users.user.map((u) => u.name);
};
const seedUsers = (prefix: string, n: number) =>
  Array.from(
    { length: n },
    (_, i) => e.server.site("").addUser({ name: `${prefix}${i}@x.com`, siteRole: "Viewer" }).id,
  );

beforeAll(async () => {
  e = await startTableauEmulator({ port: 0 });
  const r = await rawCall(e.url, "POST", `${V}/auth/signin`, {
    body: {
      credentials: {
        personalAccessTokenName: e.options.patName,
        personalAccessTokenSecret: e.options.patSecret,
        site: { contentUrl: "" },
      },
    },
  });
  const c = (r.json as { credentials: { token: string; site: { id: string } } }).credentials;
  token = c.token;
  siteId = c.site.id;
});
afterAll(() => e.close());

describe("group CRUD", () => {
  it("creates a local group with 201 and its domain", async () => {
    const r = await createGroup({ name: "Sales", minimumSiteRole: "Explorer", grantLicenseMode: "onLogin" });
    expect(r.status).toBe(201);
    expect(r.json).toEqual({
      group: {
        id: expect.any(String),
        name: "Sales",
        minimumSiteRole: "Explorer",
        grantLicenseMode: "onLogin",
        domain: { name: "local" },
      },
    });
  });

  it("creates a group from XML", async () => {
    const r = await rawCall(e.url, "POST", base(), {
      token,
      accept: "xml",
      body: '<tsRequest><group name="Xml Group"/></tsRequest>',
    });
    expect(r.status).toBe(201);
    expect(r.text).toMatch(/<group id="[^"]+" name="Xml Group"><domain name="local"\/><\/group>/);
  });

  it("answers 409009 for a duplicate name, case-insensitively, on create and rename", async () => {
    await newGroup("Finance");
    const dup = await createGroup({ name: "FINANCE" });
    expect(dup.status).toBe(409);
    expect(dup.json).toMatchObject({ error: { code: "409009" } });
    const other = await newGroup("Legal");
    const rename = await rawCall(e.url, "PUT", `${base()}/${other}`, {
      token,
      body: { group: { name: "finance" } },
    });
    expect(rename.json).toMatchObject({ error: { code: "409009" } });
  });

  it("rejects an invalid minimumSiteRole with 400013", async () => {
    const r = await createGroup({ name: "Bad Role", minimumSiteRole: "Overlord" });
    expect(r.json).toMatchObject({ error: { code: "400013" } });
  });

  it("renames and updates a group, then deletes it (404012 afterwards)", async () => {
    const id = await newGroup("Ops");
    const up = await rawCall(e.url, "PUT", `${base()}/${id}`, {
      token,
      body: { group: { name: "Operations", minimumSiteRole: "Viewer" } },
    });
    expect(up.status).toBe(200);
    expect(up.json).toMatchObject({ group: { id, name: "Operations", minimumSiteRole: "Viewer" } });
    expect((await rawCall(e.url, "DELETE", `${base()}/${id}`, { token })).status).toBe(204);
    const gone = await rawCall(e.url, "GET", `${base()}/${id}/users`, { token });
    expect(gone.status).toBe(404);
    expect(gone.json).toMatchObject({ error: { code: "404012" } });
  });

  it("queries groups by name and shows userCount only with fields=_all_", async () => {
    await newGroup("Support");
    const r = await rawCall(e.url, "GET", `${base()}?filter=name:eq:Support`, { token });
    const body = r.json as { pagination: Record<string, string>; groups: { group: GroupJson[] } };
    expect(body.pagination.totalAvailable).toBe("1");
    expect(body.groups.group[0]).not.toHaveProperty("userCount");
    const all = await rawCall(e.url, "GET", `${base()}?filter=name:eq:All%20Users&fields=_all_`, { token });
    const allUsers = (all.json as { groups: { group: GroupJson[] } }).groups.group[0];
    expect(allUsers?.userCount).toBe(String(e.server.site("").users.size));
  });

  it("keeps the built-in All Users group: it holds every user and cannot be deleted", async () => {
    const allUsers = e.server.site("").allUsers;
    const [uid] = seedUsers("everyone", 1);
    expect(await memberNames(allUsers.id, "?pageSize=1000")).toContain("everyone0@x.com");
    const del = await rawCall(e.url, "DELETE", `${base()}/${allUsers.id}`, { token });
    expect(del.status).toBe(403);
    const add = await rawCall(e.url, "POST", `${base()}/${allUsers.id}/users`, {
      token,
      body: { user: { id: uid } },
    });
    expect(add.json).toMatchObject({ error: { code: "409011" } });
  });
});

describe("membership", () => {
  it("adds one member (200 with the user) and answers 409011 the second time", async () => {
    const gid = await newGroup("Single");
    const [uid] = seedUsers("single", 1);
    const r = await rawCall(e.url, "POST", `${base()}/${gid}/users`, { token, body: { user: { id: uid } } });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ user: { id: uid, name: "single0@x.com", siteRole: "Viewer" } });
    const again = await rawCall(e.url, "POST", `${base()}/${gid}/users`, {
      token,
      body: { user: { id: uid } },
    });
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ error: { code: "409011" } });
    const unknown = await rawCall(e.url, "POST", `${base()}/${gid}/users`, {
      token,
      body: { user: { id: "nobody" } },
    });
    expect(unknown.json).toMatchObject({ error: { code: "404002" } });
  });

  it("adds one member from XML", async () => {
    const gid = await newGroup("Single Xml");
    const [uid] = seedUsers("singlexml", 1);
    const r = await rawCall(e.url, "POST", `${base()}/${gid}/users`, {
      token,
      accept: "xml",
      body: `<tsRequest><user id="${uid}"/></tsRequest>`,
    });
    expect(r.text).toContain(`<user id="${uid}" name="singlexml0@x.com" siteRole="Viewer"/>`);
  });

  it("pages members", async () => {
    const gid = await newGroup("Paged");
    for (const uid of seedUsers("paged", 5)) e.server.site("").addMember(gid, uid);
    expect(await memberNames(gid, "?pageSize=2&pageNumber=3")).toEqual(["paged4@x.com"]);
    const r = await rawCall(e.url, "GET", `${base()}/${gid}/users?pageSize=2`, { token });
    expect((r.json as { pagination: Record<string, string> }).pagination).toEqual({
      pageNumber: "1",
      pageSize: "2",
      totalAvailable: "5",
    });
  });

  it("removes one member with 204, and 404002 when not a member", async () => {
    const gid = await newGroup("Remove One");
    const [uid] = seedUsers("rm", 1);
    e.server.site("").addMember(gid, uid ?? "");
    expect((await rawCall(e.url, "DELETE", `${base()}/${gid}/users/${uid}`, { token })).status).toBe(204);
    expect(await memberNames(gid)).toEqual([]);
    const again = await rawCall(e.url, "DELETE", `${base()}/${gid}/users/${uid}`, { token });
    expect(again.json).toMatchObject({ error: { code: "404002" } });
  });

  it("adds and removes many members in one call from 3.21 (JSON)", async () => {
    const gid = await newGroup("Bulk");
    const ids = seedUsers("bulk", 4);
    const add = await rawCall(e.url, "POST", `${base()}/${gid}/users`, {
      token,
      body: { users: { user: ids.map((id) => ({ id })) } },
    });
    expect(add.status).toBe(200);
    expect((add.json as { users: { user: { id: string }[] } }).users.user.map((u) => u.id)).toEqual(ids);
    expect(await memberNames(gid)).toEqual(["bulk0@x.com", "bulk1@x.com", "bulk2@x.com", "bulk3@x.com"]);
    const rm = await rawCall(e.url, "PUT", `/api/3.21/sites/${siteId}/groups/${gid}/users/remove`, {
      token,
      body: { users: { user: [{ id: ids[0] }, { id: ids[2] }] } },
    });
    expect(rm.status).toBe(204);
    expect(await memberNames(gid)).toEqual(["bulk1@x.com", "bulk3@x.com"]);
  });

  it("adds and removes many members from XML, including a single-element list", async () => {
    const gid = await newGroup("Bulk Xml");
    const ids = seedUsers("bulkxml", 3);
    const body = `<tsRequest><users>${ids.map((id) => `<user id="${id}"/>`).join("")}</users></tsRequest>`;
    const add = await rawCall(e.url, "POST", `${base()}/${gid}/users`, { token, accept: "xml", body });
    expect(add.status).toBe(200);
    expect(add.text.match(/<user /g)).toHaveLength(3);
    const rm = await rawCall(e.url, "PUT", `${base()}/${gid}/users/remove`, {
      token,
      body: `<tsRequest><users><user id="${ids[1]}"/></users></tsRequest>`,
    });
    expect(rm.status).toBe(204);
    expect(await memberNames(gid)).toEqual(["bulkxml0@x.com", "bulkxml2@x.com"]);
  });

  it("refuses the bulk forms before 3.21 and changes nothing", async () => {
    const gid = await newGroup("Old Api");
    const ids = seedUsers("old", 2);
    const add = await rawCall(e.url, "POST", `/api/3.20/sites/${siteId}/groups/${gid}/users`, {
      token,
      body: { users: { user: ids.map((id) => ({ id })) } },
    });
    expect(add.status).toBe(400);
    expect(add.json).toMatchObject({ error: { code: "400000", detail: expect.stringMatching(/3\.21/) } });
    expect(await memberNames(gid)).toEqual([]);
    const rm = await rawCall(e.url, "PUT", `/api/3.20/sites/${siteId}/groups/${gid}/users/remove`, {
      token,
      body: { users: { user: [{ id: ids[0] }] } },
    });
    expect(rm.status).toBe(400);
    const single = await rawCall(e.url, "POST", `/api/3.20/sites/${siteId}/groups/${gid}/users`, {
      token,
      body: { user: { id: ids[0] } },
    });
    expect(single.status).toBe(200);
  });

  it("drops a deleted user from every group", async () => {
    const gid = await newGroup("Leavers");
    const [uid] = seedUsers("leaver", 1);
    e.server.site("").addMember(gid, uid ?? "");
    await rawCall(e.url, "DELETE", `${V}/sites/${siteId}/users/${uid}`, { token });
    expect(await memberNames(gid)).toEqual([]);
  });
});
