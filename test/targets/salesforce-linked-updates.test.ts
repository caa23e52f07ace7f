// Issue #26 point 9: a change to a user the bridge has linked in Salesforce is written by the linked Id, without
// reading the record first (the link remembers what the last delivery wrote), so a burst of changes costs one call per
// collection of 200. A record gone behind the bridge's back is still handled as before: found by its keys, or
// created again. Calls are counted by the Salesforce emulator.
import { describe, expect, it } from "vitest";
import { user } from "../support/app.ts";
import { AUTH, outboxDrained } from "../support/bridge.ts";
import { bothEmulators, bridgeOnEmulators } from "../support/emulators.ts";
import { BACKENDS } from "../support/store.ts";

const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const PROV = "urn:ietf:params:scim:schemas:extension:scim-bridge:2.0:Provisioning";
const BURST = 250;

describe.each(BACKENDS)("changes to linked Salesforce users (%s)", (backend) => {
  const emulators = bothEmulators();
  const t = bridgeOnEmulators(emulators, {
    backend,
    only: "salesforce",
    config: { sync: { waitForDeliveryMs: 0 } },
  });

  const delivered = () => outboxDrained(t, 60_000);

  /** Runs `work` on each item, a few at a time (an IdP's connections). */
  async function each<T>(items: T[], work: (item: T, i: number) => Promise<unknown>) {
    for (let i = 0; i < items.length; i += 10)
      await Promise.all(items.slice(i, i + 10).map((item, j) => work(item, i + j)));
  }
  const createUsers = async (names: string[]) => {
    const ids: string[] = [];
    await each(names, async (n, i) => {
      ids[i] = (await t.request.post("/scim/v2/Users").set(AUTH).send(user(n)).expect(201)).body.id;
    });
    await delivered();
    return ids;
  };
  const setTitle = (id: string, title: string) =>
    t.request
      .patch(`/scim/v2/Users/${id}`)
      .set(AUTH)
      .send({ schemas: [PATCH], Operations: [{ op: "replace", value: { title } }] })
      .expect(200);
  const sfUsers = (username: string) =>
    emulators.salesforce.org.users().filter((u) => u.Username === username);
  const status = async (id: string) =>
    (await t.request.get(`/scim/v2/Users/${id}`).set(AUTH).expect(200)).body[PROV].targets[0];

  it(`delivers a burst of ${BURST} title changes in ceil(${BURST}/200) = 2 calls: one collection update per 200, no read`, async () => {
    const { stats } = emulators.salesforce;
    const names = Array.from({ length: BURST }, (_, i) => `burst${i}@example.com`);
    const ids = await createUsers(names);
    // The burst is queued whole before the dispatcher looks, so batches are full whatever the machine's speed.
    await t.bridge.dispatcher.stop();
    stats.reset();
    await each(ids, (id, i) => setTitle(id, `Burst title ${i}`));
    t.bridge.dispatcher.start();
    await delivered();

    expect(stats.byRoute).toEqual({ "PATCH /composite/sobjects": Math.ceil(BURST / 200) });
    expect(stats.apiCalls).toBe(2);
    expect(names.map((n) => sfUsers(n).map((u) => [u.Title, u.IsActive]))).toEqual(
      names.map((_, i) => [[`Burst title ${i}`, true]]),
    );
  });

  it("finds again, or creates again, a linked record deleted in Salesforce behind the bridge's back, and links it", async () => {
    const { org, stats } = emulators.salesforce;
    const [goneId, movedId] = (await createUsers(["gone@example.com", "moved@example.com"])) as [
      string,
      string,
    ];
    const oldGone = String(sfUsers("gone@example.com")[0]?.Id);
    const oldMoved = sfUsers("moved@example.com")[0] ?? {};
    // Deleted outright, and replaced by the same user under a new Id (as after a sandbox refresh).
    org.table("User").remove(oldGone);
    org.table("User").remove(String(oldMoved.Id));
    const copy = Object.fromEntries(
      [
        "Username",
        "Email",
        "FirstName",
        "LastName",
        "Alias",
        "TimeZoneSidKey",
        "LocaleSidKey",
        "EmailEncodingKey",
        "LanguageLocaleKey",
        "ProfileId",
        "FederationIdentifier",
        "Title",
        "IsActive",
      ].map((f) => [f, oldMoved[f]]),
    );
    const newMoved = String(org.insert("User", copy).Id);

    await setTitle(goneId, "Back again");
    await setTitle(movedId, "Moved on");
    await delivered();

    const gone = sfUsers("gone@example.com");
    expect(gone.map((u) => [u.Title, u.IsActive])).toEqual([["Back again", true]]);
    expect(gone[0]?.Id).not.toBe(oldGone);
    expect(await status(goneId)).toMatchObject({ state: "synced", targetId: gone[0]?.Id });
    const moved = sfUsers("moved@example.com");
    expect(moved.map((u) => [u.Id, u.Title])).toEqual([[newMoved, "Moved on"]]);
    expect(await status(movedId)).toMatchObject({ state: "synced", targetId: newMoved });

    // Linked anew, they are written by Id again.
    stats.reset();
    await setTitle(goneId, "Settled");
    await setTitle(movedId, "Settled");
    await delivered();
    expect(sfUsers("gone@example.com").map((u) => u.Title)).toEqual(["Settled"]);
    expect(sfUsers("moved@example.com").map((u) => u.Title)).toEqual(["Settled"]);
    expect(Object.keys(stats.byRoute)).toEqual(["PATCH /composite/sobjects"]);
  });
});
