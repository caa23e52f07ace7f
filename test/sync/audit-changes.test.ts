// The audit says what changed: a SCIM write's attributes as old → new, and each delivery the vendor fields it sent
// with the target's value before (Salesforce's Title), a password never more than "changed"; /admin/audit returns
// them structured.
import { describe, expect, it } from "vitest";
import type { AuditRow } from "../../src/store/index.ts";
import { user } from "../support/app.ts";
import { ADMIN, AUTH, eventually } from "../support/bridge.ts";
import { bothEmulators, bridgeOnEmulators } from "../support/emulators.ts";
import { BACKENDS } from "../support/store.ts";

const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

describe.each(BACKENDS)("audit changes on %s", (backend) => {
  const emulators = bothEmulators();
  const t = bridgeOnEmulators(emulators, { backend });

  const events = async (id: string): Promise<AuditRow[]> =>
    (await t.request.get(`/admin/audit?resourceId=${id}`).set(ADMIN).expect(200)).body.events;
  const salesforceSynced = (rows: AuditRow[]) =>
    rows.filter((e) => e.action === "target.deliver" && e.target === "salesforce" && e.outcome === "synced");

  it("records a PATCH of title as title: A → B, and the Salesforce delivery as Title sent A → B", async () => {
    const created = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send({ ...user("title@example.com"), title: "A", password: "Pa55-secret!" })
      .expect(201);
    const id = created.body.id as string;
    await eventually(async () => salesforceSynced(await events(id)).length === 1);
    await t.request
      .patch(`/scim/v2/Users/${id}`)
      .set(AUTH)
      .send({ schemas: [PATCH], Operations: [{ op: "replace", path: "title", value: "B" }] })
      .expect(200);
    const rows = await eventually(async () => {
      const all = await events(id);
      return salesforceSynced(all).length === 2 ? all : undefined;
    });

    const create = rows.find((e) => e.action === "scim.user.create")!;
    expect(create.changes).toEqual(
      expect.arrayContaining([
        { path: "title", new: "A" },
        { path: "userName", new: "title@example.com" },
        { path: "password", hidden: true },
      ]),
    );
    const update = rows.find((e) => e.action === "scim.user.update")!;
    expect(update.changes).toEqual([{ path: "title", old: "A", new: "B" }]);

    // Newest first: the update's delivery sent Title alone, with what Salesforce held before.
    const [updated, first] = salesforceSynced(rows);
    expect(updated!.changes).toEqual([{ path: "Title", old: "A", new: "B" }]);
    expect(first!.changes).toEqual(expect.arrayContaining([{ path: "Title", new: "A" }]));
    expect(JSON.stringify(rows)).not.toContain("Pa55-secret!");
  });

  it("records a group's members added and removed", async () => {
    const member = (
      await t.request.post("/scim/v2/Users").set(AUTH).send(user("member@example.com")).expect(201)
    ).body.id as string;
    const group = await t.request
      .post("/scim/v2/Groups")
      .set(AUTH)
      .send({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Auditors" })
      .expect(201);
    const id = group.body.id as string;
    await t.request
      .patch(`/scim/v2/Groups/${id}`)
      .set(AUTH)
      .send({ schemas: [PATCH], Operations: [{ op: "add", path: "members", value: [{ value: member }] }] })
      .expect(204);
    const update = (await events(id)).find((e) => e.action === "scim.group.update")!;
    expect(update.changes).toEqual([{ path: "members", added: [member] }]);
  });
});
