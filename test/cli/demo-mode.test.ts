// The default demo mode (both emulators as targets, PGlite in the data directory) as a generic SCIM client that
// never heard of Salesforce drives it: userNames that are not email addresses, create / read / filter / PATCH / PUT /
// delete of users and groups. Salesforce's status says why it could not take those users; nothing is refused.
// Then a restart on the same data directory: the emulators' accounts are still there, consistent with the store.
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import supertest from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningBridge, startServer } from "../../src/cli/serve.ts";

const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const PROV = "urn:ietf:params:scim:schemas:extension:scim-bridge:2.0:Provisioning";
const TOKEN = "demo-mode-test-token-0123456789";
type Status = { target: string; state: string; targetId?: string; errorCode?: string; errorMessage?: string };

const start = (dataDir: string) =>
  startServer({
    env: { DATA_DIR: dataDir, PORT: "0", HOST: "127.0.0.1", SCIM_BEARER_TOKEN: TOKEN, LOG_LEVEL: "silent" },
    logger: pino({ level: "silent" }),
    quiet: true,
  });
const statusOf = (body: Record<string, unknown>, target: string) =>
  ((body[PROV] as { targets: Status[] } | undefined)?.targets ?? []).find((s) => s.target === target);

describe("default demo mode, driven by a generic SCIM client", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "bridge-demo-"));
  let running: RunningBridge;
  let api: ReturnType<typeof supertest>;
  const auth = { Authorization: `Bearer ${TOKEN}` };
  beforeAll(async () => {
    running = await start(dataDir);
    api = supertest(running.url);
  });
  afterAll(() => running?.stop());

  it("creates, reads, filters, PATCHes, PUTs and deletes users and groups whose userNames are not emails", async () => {
    const userName = "Test_User_dfeef4c5-5681-4387-b016-bdf221e82081";
    const created = await api
      .post("/scim/v2/Users")
      .set(auth)
      .send({ schemas: [CORE], userName, active: true, name: { givenName: "Given", familyName: "Family" } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const salesforce = statusOf(created.body, "salesforce");
    expect(salesforce).toMatchObject({ state: "failed", errorCode: expect.any(String) });
    expect(salesforce!.errorMessage).toMatch(/Salesforce field \w+ .*; .*(set|supply|correct|change)/);
    expect(statusOf(created.body, "tableau")?.state).toMatch(/pending|synced/);

    expect((await api.get(`/scim/v2/Users/${id}`).set(auth)).body.userName).toBe(userName);
    const filtered = await api
      .get(`/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`)
      .set(auth);
    expect(filtered.body.totalResults).toBe(1);

    const patched = await api
      .patch(`/scim/v2/Users/${id}`)
      .set(auth)
      .send({
        schemas: [PATCH],
        Operations: [
          { op: "replace", path: "name.familyName", value: "updatedFamilyName" },
          { op: "add", path: "displayName", value: "Shown Name" },
          { op: "replace", value: { active: false } },
        ],
      });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ active: false, displayName: "Shown Name" });
    expect(patched.body.name.familyName).toBe("updatedFamilyName");

    const put = await api
      .put(`/scim/v2/Users/${id}`)
      .set(auth)
      .send({ schemas: [CORE], userName, active: true, name: { givenName: "G", familyName: "F" } });
    expect(put.status).toBe(200);
    expect(put.body.active).toBe(true);

    const group = await api
      .post("/scim/v2/Groups")
      .set(auth)
      .send({ schemas: [GROUP], displayName: "Group_a1b2", members: [{ value: id }] });
    expect(group.status).toBe(201);
    const gid = group.body.id as string;
    expect(group.body.members).toHaveLength(1);
    const gFiltered = await api
      .get(`/scim/v2/Groups?filter=${encodeURIComponent('displayName eq "Group_a1b2"')}`)
      .set(auth);
    expect(gFiltered.body.totalResults).toBe(1);
    await api
      .patch(`/scim/v2/Groups/${gid}`)
      .set(auth)
      .send({ schemas: [PATCH], Operations: [{ op: "remove", path: "members" }] })
      .expect(204);
    const emptied = await api.get(`/scim/v2/Groups/${gid}`).set(auth);
    expect(emptied.body).not.toHaveProperty("members");
    const gPut = await api
      .put(`/scim/v2/Groups/${gid}`)
      .set(auth)
      .send({ schemas: [GROUP], displayName: "Group_a1b2_renamed", members: [{ value: id }] });
    expect(gPut.status).toBe(200);
    expect(gPut.body.displayName).toBe("Group_a1b2_renamed");
    await api.delete(`/scim/v2/Groups/${gid}`).set(auth).expect(204);
    await api.get(`/scim/v2/Groups/${gid}`).set(auth).expect(404);

    // Salesforce still says why, after all those writes, and nothing was refused on the way. The writes queued
    // deliveries that waited while this client kept the bridge busy (deliveries give way to SCIM requests).
    await expect
      .poll(async () => statusOf((await api.get(`/scim/v2/Users/${id}`).set(auth)).body, "salesforce"), {
        timeout: 15_000,
        interval: 200,
      })
      .toMatchObject({ state: "failed", errorCode: expect.any(String) });
    await api.delete(`/scim/v2/Users/${id}`).set(auth).expect(204);
    await api.get(`/scim/v2/Users/${id}`).set(auth).expect(404);
  });

  it("keeps each emulator's accounts in the data directory across a restart", async () => {
    const created = await api
      .post("/scim/v2/Users")
      .set(auth)
      .set("Prefer", "wait=10")
      .send({
        schemas: [CORE],
        userName: "kept@example.com",
        name: { givenName: "Kept", familyName: "User" },
        emails: [{ value: "kept@example.com", type: "work", primary: true }],
      });
    expect(created.status).toBe(201);
    const before = ["salesforce", "tableau"].map((t) => statusOf(created.body, t));
    for (const s of before) expect(s).toMatchObject({ state: "synced", targetId: expect.any(String) });

    await running.stop();
    expect(readdirSync(dataDir)).toEqual(
      expect.arrayContaining(["demo-salesforce-emulator.json", "demo-tableau-emulator.json"]),
    );
    running = await start(dataDir);
    api = supertest(running.url);

    // An update after the restart goes to the same accounts: they still exist in the restarted emulators.
    const patched = await api
      .patch(`/scim/v2/Users/${created.body.id}`)
      .set(auth)
      .set("Prefer", "wait=10")
      .send({ schemas: [PATCH], Operations: [{ op: "replace", path: "title", value: "After restart" }] });
    expect(patched.status).toBe(200);
    for (const [i, t] of ["salesforce", "tableau"].entries()) {
      expect(statusOf(patched.body, t)).toMatchObject({ state: "synced", targetId: before[i]!.targetId });
    }
  });
});
