// SCIM in, Tableau out: the whole bridge against the Tableau emulator over real HTTP, or against a real Tableau
// site when TABLEAU_SERVER_URL (and a PAT or connected app) is set. Assertions read the site back through the
// target's own listing, so the same checks hold for both.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningTableauEmulator, startTableauEmulator } from "../../src/emulators/tableau/index.ts";
import { tableauConfigFromEnv } from "../../src/targets/tableau/index.ts";
import { handlesGroups, type TargetAccount } from "../../src/targets/target.ts";
import { user } from "../support/app.ts";
import { AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";

const REAL = tableauConfigFromEnv(process.env);
if (!REAL)
  console.info("scim-to-tableau: TABLEAU_SERVER_URL not set, running against the local Tableau emulator");
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const PROV = "urn:ietf:params:scim:schemas:extension:scim-bridge:2.0:Provisioning";
const run = Date.now().toString(36);
const domain = process.env.TABLEAU_TEST_EMAIL_DOMAIN ?? "example.com";
const name = (n: string) => `sb-${run}-${n}@${domain}`;

const mapping = {
  groupRules: [
    { group: `Creators ${run}`, set: { siteRole: "Creator" } },
    { group: `Explorers ${run}`, set: { siteRole: "Explorer" } },
  ],
};

describe.each([
  { mode: "unlicense", apiVersion: undefined },
  { mode: "remove", apiVersion: "3.20" },
])("SCIM → Tableau, deprovision by $mode, API $apiVersion", ({ mode, apiVersion }) => {
  let emulator: RunningTableauEmulator | undefined;
  let t: TestBridge;
  beforeAll(async () => {
    emulator = REAL
      ? undefined
      : await startTableauEmulator({ port: 0, ...(apiVersion ? { apiVersion } : {}) });
    const base = REAL ?? {
      name: "tableau",
      kind: "tableau",
      serverUrl: emulator!.url,
      auth: { pat: { name: emulator!.options.patName, secret: emulator!.options.patSecret } },
    };
    t = await startTestBridge({
      targets: [{ ...base, mapping, policies: { deprovision: mode, defaultSiteRole: "Viewer" } }],
    });
  });
  afterAll(async () => {
    await t?.stop();
    await emulator?.close();
  });

  async function siteUser(userName: string): Promise<TargetAccount | undefined> {
    for await (const page of t.bridge.targets[0]!.target.listUsers()) {
      const found = page.find((a) => a.key.toLowerCase() === userName.toLowerCase());
      if (found) return found;
    }
    return undefined;
  }
  const createUser = async (n: string) => {
    const res = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send(user(n, { displayName: `User ${n}` }));
    expect(res.status).toBe(201);
    return res.body;
  };

  it("creates a site user with the default role and reports it synced", async () => {
    const u = await createUser(name("create"));
    expect(u[PROV].targets[0]).toMatchObject({
      target: "tableau",
      state: "synced",
      targetId: expect.any(String),
    });
    expect(await siteUser(name("create"))).toMatchObject({
      active: true,
      fields: expect.objectContaining({ siteRole: "Viewer" }),
    });
  });

  it("applies group rules: the highest site role wins, and leaving the group lowers it", async () => {
    const u = await createUser(name("roles"));
    const creators = (
      await t.request
        .post("/scim/v2/Groups")
        .set(AUTH)
        .send({ schemas: [GROUP], displayName: `Creators ${run}` })
    ).body;
    const explorers = (
      await t.request
        .post("/scim/v2/Groups")
        .set(AUTH)
        .send({ schemas: [GROUP], displayName: `Explorers ${run}`, members: [{ value: u.id }] })
    ).body;
    await eventually(async () => (await siteUser(name("roles")))?.fields.siteRole === "Explorer");
    await t.request
      .patch(`/scim/v2/Groups/${creators.id}`)
      .set(AUTH)
      .send({ schemas: [PATCH], Operations: [{ op: "add", path: "members", value: [{ value: u.id }] }] })
      .expect(204);
    await eventually(async () => (await siteUser(name("roles")))?.fields.siteRole === "Creator");
    await t.request
      .patch(`/scim/v2/Groups/${creators.id}`)
      .set(AUTH)
      .send({ schemas: [PATCH], Operations: [{ op: "remove", path: `members[value eq "${u.id}"]` }] })
      .expect(204);
    await eventually(async () => (await siteUser(name("roles")))?.fields.siteRole === "Explorer");
    void explorers;
  });

  it("mirrors group membership in a local Tableau group", async () => {
    const a = await createUser(name("member-a"));
    const b = await createUser(name("member-b"));
    const g = (
      await t.request
        .post("/scim/v2/Groups")
        .set(AUTH)
        .send({
          schemas: [GROUP],
          displayName: `Analysts ${run}`,
          members: [{ value: a.id }, { value: b.id }],
        })
    ).body;
    const site = t.bridge.targets[0]!.target;
    if (!handlesGroups(site)) throw new Error("the Tableau target provisions groups");
    const members = async () => {
      for await (const page of site.listGroups()) {
        const grp = page.find((x) => x.displayName === `Analysts ${run}`);
        if (grp) return grp.memberTargetIds?.length ?? 0;
      }
      return -1;
    };
    await eventually(async () => (await members()) === 2);
    await t.request
      .patch(`/scim/v2/Groups/${g.id}`)
      .set(AUTH)
      .send({ schemas: [PATCH], Operations: [{ op: "Remove", path: "members", value: [{ value: b.id }] }] })
      .expect(204);
    await eventually(async () => (await members()) === 1);
  });

  it("links an existing site user instead of adding a duplicate", async () => {
    if (emulator) emulator.server.site("").addUser({ name: name("existing"), siteRole: "Viewer" } as never);
    else await createUser(name("existing")).then((u) => t.request.delete(`/scim/v2/Users/${u.id}`).set(AUTH));
    const u = await createUser(name("existing"));
    const status = u[PROV].targets[0];
    expect(status.state).toBe("synced");
    expect(status.targetId).toBe((await siteUser(name("existing")))?.targetId);
  });

  it(`deprovisions on SCIM delete (${mode}) and restores the role when the user comes back`, async () => {
    const u = await createUser(name("leaver"));
    await t.request
      .patch(`/scim/v2/Users/${u.id}`)
      .set(AUTH)
      .send({ schemas: [PATCH], Operations: [{ op: "Replace", path: "active", value: "False" }] })
      .expect(200);
    const gone = async () => {
      const account = await siteUser(name("leaver"));
      return mode === "remove" ? account === undefined : account?.fields.siteRole === "Unlicensed";
    };
    await eventually(gone);
    await t.request
      .patch(`/scim/v2/Users/${u.id}`)
      .set(AUTH)
      .send({ schemas: [PATCH], Operations: [{ op: "replace", value: { active: true } }] })
      .expect(200);
    await eventually(async () => (await siteUser(name("leaver")))?.fields.siteRole === "Viewer");
    await t.request.delete(`/scim/v2/Users/${u.id}`).set(AUTH).expect(204);
    await eventually(gone);
  });

  it("refuses a user whose Tableau site role would be invalid, before storing it (SCIM 400)", async () => {
    const res = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send({
        ...user(name("badrole")),
        schemas: [
          "urn:ietf:params:scim:schemas:core:2.0:User",
          "urn:ietf:params:scim:schemas:extension:tableau:3.0:User",
        ],
        "urn:ietf:params:scim:schemas:extension:tableau:3.0:User": { siteRole: "Emperor" },
      });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/siteRole|site role/i);
    const again = await t.request
      .get(`/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${name("badrole")}"`)}`)
      .set(AUTH);
    expect(again.body.totalResults).toBe(0);
  });
});
