// A change a target cannot see queues nothing there: each target's view of a user (what its delivery of the user
// depends on: its mapped fields, the active flag, and for Salesforce the manager) is compared before and after the
// write, and a target whose view is unchanged and that has the user as it was (synced, or a delivery pending) gets
// no job. Tableau is not called for a title, Salesforce not for a displayName its LastName does not come from, and
// neither for an attribute neither maps. Any write still retries a target that failed, and every change a target
// does see reaches it, asserted in the emulators' own records.
import { describe, expect, it } from "vitest";
import { ADMIN, AUTH, eventually } from "../support/bridge.ts";
import { bothEmulators, bridgeOnEmulators } from "../support/emulators.ts";

const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const PROV = "urn:ietf:params:scim:schemas:extension:scim-bridge:2.0:Provisioning";
type Status = { target: string; state: string };

describe("a change a target cannot see", () => {
  const emulators = bothEmulators();
  const t = bridgeOnEmulators(emulators);

  const statusOf = async (id: string) =>
    ((await t.request.get(`/scim/v2/Users/${id}`).set(AUTH)).body[PROV]?.targets ?? []) as Status[];
  const synced = async (id: string) => {
    await eventually(async () => {
      const s = await statusOf(id);
      return s.length === 2 && s.every((x) => x.state === "synced");
    });
  };
  let n = 0;
  /** A user both targets hold, synced. */
  const created = async (userName = `unseen${++n}@example.com`) => {
    const res = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send({
        schemas: [CORE, ENTERPRISE],
        userName,
        name: { givenName: "Ada", familyName: `Lovelace${n}` },
        displayName: `Ada Lovelace ${n}`,
        // A userName that is not an email comes without one: Salesforce can't take that user, Tableau can.
        ...(userName.includes("@") ? { emails: [{ value: userName, type: "work", primary: true }] } : {}),
        title: "Analyst",
        [ENTERPRISE]: { employeeNumber: "100" },
        active: true,
      });
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    if (userName.includes("@")) await synced(id);
    return { id, userName };
  };
  const jobCount = async (target: string, id: string) =>
    ((await t.request.get(`/admin/jobs?target=${target}&resourceId=${id}`).set(ADMIN)).body.jobs as unknown[])
      .length;
  const patch = (id: string, ...operations: Record<string, unknown>[]) =>
    t.request
      .patch(`/scim/v2/Users/${id}`)
      .set(AUTH)
      .send({ schemas: [PATCH_OP], Operations: operations });
  const sfUser = (userName: string) => emulators.salesforce.org.users().find((u) => u.Username === userName);
  const tableauUser = (userName: string) => emulators.tableau.server.site("").userByNameCi(userName);

  it("a displayName goes to Tableau (its fullName) and queues nothing for Salesforce (LastName is the familyName)", async () => {
    const { id, userName } = await created();
    const before = { tableau: await jobCount("tableau", id), salesforce: await jobCount("salesforce", id) };
    const sfModified = sfUser(userName)!.SystemModstamp;

    const res = await patch(id, { op: "replace", path: "displayName", value: "Countess of Lovelace" });
    expect(res.status).toBe(200);
    expect(res.body[PROV].targets).toContainEqual(
      expect.objectContaining({ target: "salesforce", state: "synced" }),
    );
    expect(await jobCount("salesforce", id)).toBe(before.salesforce);
    expect(await jobCount("tableau", id)).toBe(before.tableau + 1);
    await eventually(() => tableauUser(userName)?.fullName === "Countess of Lovelace");
    await synced(id);
    expect(sfUser(userName)!.SystemModstamp).toBe(sfModified);
  });

  it("a title goes to Salesforce and queues nothing for Tableau", async () => {
    const { id, userName } = await created();
    const tableauJobs = await jobCount("tableau", id);
    expect((await patch(id, { op: "replace", path: "title", value: "Engineer" })).status).toBe(200);
    expect(await jobCount("tableau", id)).toBe(tableauJobs);
    await eventually(() => sfUser(userName)?.Title === "Engineer");
  });

  it("an attribute neither target maps queues nothing at all, and the user stays synced in both", async () => {
    const { id } = await created();
    const jobs = { tableau: await jobCount("tableau", id), salesforce: await jobCount("salesforce", id) };
    const res = await patch(id, { op: "replace", path: `${ENTERPRISE}:employeeNumber`, value: "200" });
    expect(res.status).toBe(200);
    expect(res.body[ENTERPRISE].employeeNumber).toBe("200");
    expect((res.body[PROV].targets as Status[]).map((s) => s.state)).toEqual(["synced", "synced"]);
    expect(await jobCount("tableau", id)).toBe(jobs.tableau);
    expect(await jobCount("salesforce", id)).toBe(jobs.salesforce);
  });

  it("a change both targets see reaches both", async () => {
    const { id, userName } = await created();
    expect((await patch(id, { op: "replace", path: "name.familyName", value: "Byron" })).status).toBe(200);
    await eventually(() => sfUser(userName)?.LastName === "Byron");
    await eventually(() => tableauUser(userName)?.fullName !== undefined);
    await synced(id);
  });

  it("the manager reaches Salesforce, which reads it beside the mapping (ManagerId)", async () => {
    const manager = await created();
    const { id, userName } = await created();
    const res = await patch(id, {
      op: "add",
      path: `${ENTERPRISE}:manager`,
      value: { value: manager.id },
    });
    expect(res.status).toBe(200);
    const managerSfId = sfUser(manager.userName)!.Id;
    await eventually(() => sfUser(userName)?.ManagerId === managerSfId);
  });

  it("deactivation reaches both targets", async () => {
    const { id, userName } = await created();
    expect((await patch(id, { op: "replace", path: "active", value: false })).status).toBe(200);
    await eventually(() => sfUser(userName)?.IsActive === false);
    await eventually(() => tableauUser(userName)?.siteRole === "Unlicensed");
  });

  it("any write still retries a target that failed, even one it cannot see", async () => {
    // Salesforce's pre-flight refuses a userName that is not an email: failed there, synced in Tableau.
    const { id } = await created("not-an-email");
    await eventually(async () => {
      const s = await statusOf(id);
      return s.find((x) => x.target === "tableau")?.state === "synced";
    });
    expect((await statusOf(id)).find((x) => x.target === "salesforce")?.state).toBe("failed");
    const failure = async () =>
      (
        (await t.request.get(`/admin/jobs?target=salesforce&resourceId=${id}&state=dead`).set(ADMIN)).body
          .jobs as { id: number }[]
      ).map((j) => j.id);
    const [before] = await failure();
    expect(
      (await patch(id, { op: "replace", path: `${ENTERPRISE}:employeeNumber`, value: "7" })).status,
    ).toBe(200);
    // Judged again: a new refusal, which replaces the earlier one (one failure per user and target).
    const after = await failure();
    expect(after).toHaveLength(1);
    expect(after[0]).toBeGreaterThan(before!);
  });
});
