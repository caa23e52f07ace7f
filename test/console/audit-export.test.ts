// The audit as an admin uses it over HTTP: filtering by a person's userName or displayName (also once deleted)
// instead of an error page; the CSV and NDJSON exports hold exactly the filtered rows, as an attachment, with no
// password anywhere; CSV cells are quoted and formula-leading cells defused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { csvCell } from "../../src/http/console/export.ts";
import { queryAudit, resolvePerson } from "../../src/store/index.ts";
import { user } from "../support/app.ts";
import { ADMIN_TOKEN, AUTH, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";

const PASSWORD = "Sup3r-Secret-Pa55word!";

/** Splits CSV text into records of cells (RFC 4180: quoted cells may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += c;
  }
  return rows;
}

describe("the audit filtered by person and exported", () => {
  let target: RunningTestTarget;
  let t: TestBridge;
  let cookie: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    target = await startTestTarget();
    t = await startTestBridge({ targets: [{ name: "accounts", kind: "test", url: target.url }] });
    for (const [name, display] of [
      ["ada", "Ada Lovelace"],
      ["bob", 'Bob, "the builder"'],
    ] as const) {
      const res = await t.request
        .post("/scim/v2/Users")
        .set(AUTH)
        .send(user(`${name}@example.com`, { displayName: display, password: PASSWORD }));
      expect(res.status).toBe(201);
      ids[name] = res.body.id;
    }
    await t.request
      .patch(`/scim/v2/Users/${ids.ada}`)
      .set(AUTH)
      .send({
        schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        Operations: [{ op: "replace", path: "password", value: PASSWORD }],
      });
    expect((await t.request.delete(`/scim/v2/Users/${ids.bob}`).set(AUTH)).status).toBe(204);
    const signIn = await t.request.post("/console/sign-in").type("form").send({ token: ADMIN_TOKEN });
    cookie = String((signIn.headers["set-cookie"] as unknown as string[])[0]).split(";")[0]!;
  });
  afterAll(async () => {
    await t?.stop();
    await target?.close();
  });

  const get = (path: string) => t.request.get(path).set("Cookie", cookie);

  it("filters by userName or displayName instead of answering an error page, also for a deleted user", async () => {
    const ada = await get("/console/audit?resource=ada%40example.com");
    expect(ada.status).toBe(200);
    expect(ada.text).toContain("<td>scim.user.create</td>");
    expect(ada.text).toContain(ids.ada);
    expect(ada.text).not.toContain(ids.bob);
    const byDisplay = await get("/console/audit?resource=ada+lovelace");
    expect(byDisplay.text).toContain(ids.ada);
    const bob = await get("/console/audit?resource=bob%40example.com&action=scim.user.delete");
    expect(bob.status).toBe(200);
    expect(bob.text).toContain("scim.user.delete");
    expect(bob.text).toContain("data-deleted");
    expect(bob.text).not.toContain("<td>scim.user.create</td>");
    const nobody = await get("/console/audit?resource=nobody%40example.com");
    expect(nobody.status).toBe(200);
    expect(nobody.text).toContain("No audit events match.");
  });

  it.each([
    ["from=yesterday", "from must be a date"],
    ["to=2026-13-40", "to must be a date"],
    ["from=2026-12-08&to=2026-12-07", "from must be before to"],
    ["outcome=maybe", "outcome must be one of"],
  ])("refuses %s with a clear message, on the page and the exports", async (q, message) => {
    for (const path of ["/console/audit", "/console/audit/export.csv", "/console/audit/export.ndjson"]) {
      const res = await get(`${path}?${q}`);
      expect(res.status).toBe(400);
      expect(res.text).toContain(message);
    }
  });

  it("exports the filtered rows as CSV and NDJSON attachments, equal to the filtered list, without passwords", async () => {
    const f = { resourceIds: await resolvePerson(t.store.db, "ada@example.com"), action: "scim.user.create" };
    for (const [q, query] of [
      ["resource=ada%40example.com&action=scim.user.create", f],
      [`resource=${ids.ada}`, { resourceIds: [ids.ada!] }],
      ["", {}],
    ] as const) {
      const listed = await queryAudit(t.store.db, query, { limit: 10_000 });
      expect(listed.length).toBeGreaterThan(0);
      const csv = await get(`/console/audit/export.csv?${q}`).buffer(true);
      expect(csv.status).toBe(200);
      expect(csv.headers["content-type"]).toMatch(/^text\/csv/);
      expect(csv.headers["content-disposition"]).toMatch(/^attachment; filename="audit-.+\.csv"$/);
      const records = parseCsv(csv.text);
      expect(records[0]).toEqual(
        expect.arrayContaining(["id", "at", "actor", "action", "user_name", "outcome"]),
      );
      const idCol = records[0]!.indexOf("id");
      expect(records.slice(1).map((r) => Number(r[idCol]))).toEqual(listed.map((e) => e.id));
      const nd = await get(`/console/audit/export.ndjson?${q}`)
        .buffer(true)
        .parse((res, done) => {
          let text = "";
          res.on("data", (c: Buffer) => (text += c.toString()));
          res.on("end", () => done(null, text));
        });
      expect(nd.headers["content-type"]).toMatch(/^application\/x-ndjson/);
      expect(nd.headers["content-disposition"]).toMatch(/^attachment; filename="audit-.+\.ndjson"$/);
      const lines = String(nd.body)
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(lines.map((l) => l.id)).toEqual(listed.map((e) => e.id));
      for (const text of [csv.text, String(nd.body)]) expect(text).not.toContain(PASSWORD);
    }
    const bob = parseCsv((await get(`/console/audit/export.csv?resource=${ids.bob}`).buffer(true)).text);
    const display = bob[0]!.indexOf("display_name");
    // A displayName with a comma and quotes survives the round trip; the deleted user keeps their names.
    expect(bob.slice(1).every((r) => r[display] === 'Bob, "the builder"')).toBe(true);
  });
});

describe("CSV cells", () => {
  it.each<[unknown, string]>([
    ["plain", "plain"],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\nlines", '"two\nlines"'],
    ["cr\rlf", '"cr\rlf"'],
    ['=HYPERLINK("http://x")', '"\'=HYPERLINK(""http://x"")"'],
    ["+1", "'+1"],
    ["-2+3", "'-2+3"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["\tcmd", "'\tcmd"],
    [null, ""],
    [undefined, ""],
    [42, "42"],
    [true, "true"],
    [{ detail: "x,y" }, '"{""detail"":""x,y""}"'],
    ["a=b", "a=b"],
  ])("%j is written as %j", (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });
});
