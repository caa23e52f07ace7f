// A person's provisioning log through the whole bridge and both emulators: a SCIM POST with a named credential and a
// request id, delivered to Tableau and Salesforce, reads back (GET /admin/resources/{id}/log) as one request with the
// credential's name, the request id, the change stored, and per target the pre-flight, which correlation key found
// which account (or that none was found and one was created), the action and the result; a target that keeps
// refusing shows its code, its message and what to do.
import { describe, expect, it } from "vitest";
import { LOG_PAGE, type LogAttempt, type PersonLog } from "../../src/http/person-log.ts";
import { linksFor } from "../../src/store/index.ts";
import { user } from "../support/app.ts";
import { ADMIN, eventually } from "../support/bridge.ts";
import { bothEmulators, bridgeOnEmulators } from "../support/emulators.ts";

const OKTA_TOKEN = "okta-provisioning-token-0123456789";
const OKTA = { Authorization: `Bearer ${OKTA_TOKEN}` };

describe("a person's provisioning log", () => {
  const emulators = bothEmulators();
  const t = bridgeOnEmulators(emulators, {
    config: {
      sync: { maxAttempts: 2 },
      auth: { scim: [{ name: "okta-prod", kind: "bearer", token: OKTA_TOKEN }] },
    },
  });

  const create = async (userName: string, requestId: string) => {
    const res = await t.request
      .post("/scim/v2/Users")
      .set(OKTA)
      .set("X-Request-Id", requestId)
      .send(user(userName));
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const logOf = async (id: string, query: Record<string, string> = {}) => {
    const res = await t.request.get(`/admin/resources/${id}/log`).query(query).set(ADMIN);
    expect(res.status).toBe(200);
    return res.body as PersonLog;
  };
  const settled = (id: string) =>
    eventually(async () => {
      const links = await linksFor(t.store.db, [id]);
      return links.length === 2 && links.every((l) => l.state !== "pending") ? links : undefined;
    });
  const attempt = (log: PersonLog, target: string): LogAttempt =>
    log.requests[0]!.targets.find((x) => x.target === target)!.attempts.at(-1)!;

  it("names the credential, the request id, and the key that found each target's existing account", async () => {
    const site = emulators.tableau.server.site("");
    const onSite = site.addUser({ name: "ada@example.com", siteRole: "Viewer" });
    const inOrg = emulators.salesforce.org.insert("User", {
      Username: "ada@example.com",
      Email: "ada@example.com",
      LastName: "Lovelace",
      Alias: "alove",
      TimeZoneSidKey: "America/New_York",
      LocaleSidKey: "en_US",
      EmailEncodingKey: "UTF-8",
      LanguageLocaleKey: "en_US",
      ProfileId: emulators.salesforce.org.profileId("Standard User"),
      IsActive: true,
    });
    const id = await create("ada@example.com", "idp-request-ada-1");
    const links = await settled(id);
    expect(links.map((l) => l.state)).toEqual(["synced", "synced"]);

    const log = await logOf(id);
    expect(log.requests).toHaveLength(1);
    const [req] = log.requests;
    expect(req!.requestId).toBe("idp-request-ada-1");
    expect(req!.origins).toMatchObject([
      { action: "scim.user.create", actor: "okta-prod", outcome: "accepted" },
    ]);
    expect(req!.targets.map((x) => x.target)).toEqual(["salesforce", "tableau"]);
    expect(attempt(log, "tableau")).toMatchObject({
      outcome: "synced",
      operation: "user.upsert",
      preflight: "passed",
      match: { by: "name", targetId: onSite.id },
      action: "update",
      code: null,
      whatToDo: null,
    });
    expect(attempt(log, "salesforce")).toMatchObject({
      outcome: "synced",
      preflight: "passed",
      match: { by: "Username", targetId: String(inOrg.Id) },
      whatToDo: null,
    });
    expect(["update", "unchanged"]).toContain(attempt(log, "salesforce").action);
  });

  it("says no account was found and one was created, then the link finds it on the next change", async () => {
    const id = await create("bob@example.com", "idp-request-bob-1");
    await settled(id);
    const first = await logOf(id);
    for (const target of ["tableau", "salesforce"])
      expect(attempt(first, target)).toMatchObject({
        match: { by: "none" },
        action: "create",
        outcome: "synced",
      });

    const patch = await t.request
      .patch(`/scim/v2/Users/${id}`)
      .set(OKTA)
      .set("X-Request-Id", "idp-request-bob-2")
      .send({
        schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        Operations: [{ op: "replace", path: "name.givenName", value: "Robert" }],
      });
    expect(patch.status).toBe(200);
    const log = await eventually(async () => {
      const l = await logOf(id);
      return l.requests[0]?.requestId === "idp-request-bob-2" && l.requests[0].targets.length === 2
        ? l
        : undefined;
    });
    expect(log.requests.map((r) => r.requestId)).toEqual(["idp-request-bob-2", "idp-request-bob-1"]);
    expect(log.requests[0]!.origins[0]).toMatchObject({ action: "scim.user.update", actor: "okta-prod" });
    for (const target of ["tableau", "salesforce"]) {
      const a = attempt(log, target);
      expect(a.match?.by).toBe("link");
      expect(a.match?.targetId).toBe(attempt(first, target).match?.targetId);
    }
    // One request's steps alone (what Provision now answers with).
    const one = await logOf(id, { request: "idp-request-bob-1" });
    expect(one.requests.map((r) => r.requestId)).toEqual(["idp-request-bob-1"]);
  });

  it("shows a refusing target's code and message on each attempt, and what to do", async () => {
    emulators.tableau.setFaults({ errorRate: 1 });
    try {
      const id = await create("eve@example.com", "idp-request-eve-1");
      await eventually(async () => (await linksFor(t.store.db, [id], "tableau"))[0]?.state === "failed");
      const log = await eventually(async () => {
        const l = await logOf(id);
        return l.requests[0]?.targets.find((x) => x.target === "tableau")?.attempts.length === 2
          ? l
          : undefined;
      });
      const attempts = log.requests[0]!.targets.find((x) => x.target === "tableau")!.attempts;
      expect(attempts.map((a) => a.outcome)).toEqual(["retry", "failed"]);
      for (const a of attempts) {
        expect(a.code).toBeTruthy();
        expect(a.message).toBeTruthy();
        expect(a.whatToDo).toMatch(/Retry now/);
      }
      expect(attempt(log, "salesforce")).toMatchObject({ outcome: "synced", action: "create" });
    } finally {
      emulators.tableau.setFaults({ errorRate: 0 });
    }
  });

  it("pages a long log: older requests come with the next page, none twice", async () => {
    const id = await create("many@example.com", "idp-request-many-0");
    await settled(id);
    // More writes than a page holds (LOG_PAGE), whatever the deliveries add.
    for (let i = 1; i <= LOG_PAGE; i++) {
      const res = await t.request
        .patch(`/scim/v2/Users/${id}`)
        .set(OKTA)
        .set("X-Request-Id", `idp-request-many-${i}`)
        .send({
          schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
          Operations: [{ op: "replace", path: "name.givenName", value: `Many ${i}` }],
        });
      expect(res.status).toBe(200);
    }
    const first = await logOf(id);
    expect(first.older).not.toBeNull();
    const second = await logOf(id, { before: String(first.older) });
    const origins = (l: PersonLog) => l.requests.flatMap((r) => r.origins.map((o) => o.auditId));
    const seen = new Set(origins(first));
    expect(origins(second).length).toBeGreaterThan(0);
    expect(origins(second).filter((a) => seen.has(a))).toEqual([]);
  });

  it("answers a 400 for an id that is not a UUID", async () => {
    const res = await t.request.get("/admin/resources/ada/log").set(ADMIN);
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/UUID/);
  });
});
