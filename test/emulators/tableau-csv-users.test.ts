// The CSV user import and delete calls (API 3.15), driven with the request bodies Tableau's own Python client
// (tableauserverclient: users.bulk_add / users.bulk_remove) sends: multipart/mixed, a header-less CSV written by
// Python's csv.writer, and an XML request_payload.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningTableauEmulator, startTableauEmulator } from "../../src/emulators/tableau/index.ts";

let e: RunningTableauEmulator;
let clock = Date.parse("2026-11-29T12:00:00Z");
const V = "/api/3.25";

async function signIn(emu: RunningTableauEmulator, version = V) {
  const r = await fetch(`${emu.url}${version}/auth/signin`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({
      credentials: {
        personalAccessTokenName: emu.options.patName,
        personalAccessTokenSecret: emu.options.patSecret,
        site: { contentUrl: "" },
      },
    }),
  });
  const c = ((await r.json()) as { credentials: { token: string; site: { id: string } } }).credentials;
  return { token: c.token, siteId: c.site.id };
}

/** Python csv.writer (QUOTE_MINIMAL, \r\n) over TSC's create_users_csv columns. */
function tscCsv(rows: (string | number)[][]): string {
  const cell = (v: string | number) => {
    const s = String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return rows.map((r) => `${r.map(cell).join(",")}\r\n`).join("");
}

/** urllib3's encode_multipart_formdata with the type switched to multipart/mixed, as TSC's _add_multipart does. */
function tscMultipart(parts: { name: string; filename: string; type: string; data: string }[]) {
  const boundary = "b1f0a3c5d7e9f2a4b6c8d0e2f4a6b8c0";
  let body = "";
  for (const p of parts) {
    body += `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\nContent-Type: ${p.type}\r\n\r\n${p.data}\r\n`;
  }
  body += `--${boundary}--\r\n`;
  return { body, contentType: `multipart/mixed; boundary=${boundary}` };
}

const importParts = (csv: string, payload: string) =>
  tscMultipart([
    { name: "tableau_user_import", filename: "tsc_users_file.csv", type: "file", data: csv },
    { name: "request_payload", filename: "", type: "text/xml", data: payload },
  ]);

async function post(
  path: string,
  s: { token: string; siteId: string },
  mp: { body: string; contentType: string },
  accept = "application/json",
  version = V,
) {
  const r = await fetch(`${e.url}${version}/sites/${s.siteId}${path}`, {
    method: "POST",
    headers: { "x-tableau-auth": s.token, "content-type": mp.contentType, accept },
    body: mp.body,
  });
  return { status: r.status, text: await r.text() };
}

type Job = {
  id: string;
  type: string;
  progress: string;
  completedAt?: string;
  finishCode?: string;
  statusNotes?: { statusNote: { type: string; value: string; text: string }[] };
};

async function job(s: { token: string; siteId: string }, id: string): Promise<Job> {
  const r = await fetch(`${e.url}${V}/sites/${s.siteId}/jobs/${id}`, {
    headers: { "x-tableau-auth": s.token, accept: "application/json" },
  });
  expect(r.status).toBe(200);
  return ((await r.json()) as { job: Job }).job;
}

beforeAll(async () => {
  e = await startTableauEmulator({
    port: 0,
    licences: { Creator: 3 },
    csvJobMsPerRow: 100,
    now: () => clock,
  });
});
afterAll(() => e.close());

describe("CSV user import (users.bulk_add)", () => {
  it("answers with a UserImport job, which finishes later with every row applied", async () => {
    const s = await signIn(e);
    const csv = tscCsv([
      ["ada@example.com", "", "Ada Lovelace", "Creator", "", 1, "ada@example.com"],
      ["bob@example.com", "", "Bob, Jr.", "Explorer", "Site", 1, "bob@example.com"],
      ["cy@example.com", "", "Cy", "Explorer", "", 1, ""],
      ["dee@example.com", "", "", "Viewer", "", 0, ""],
    ]);
    const payload =
      '<tsRequest><user name="ada@example.com" authSetting="SAML" /><user name="bob@example.com" authSetting="ServerDefault" />' +
      '<user name="cy@example.com" authSetting="ServerDefault" /><user name="dee@example.com" authSetting="ServerDefault" /></tsRequest>';
    const r = await post("/users/import", s, importParts(csv, payload), "application/xml");
    expect(r.status).toBe(200);
    // The same element as TSC's users_bulk_add_job.xml fixture.
    expect(r.text).toMatch(
      /<job id="[0-9a-f-]{36}" mode="Asynchronous" type="UserImport" progress="0" createdAt="[^"]+" finishCode="1"\/>/,
    );
    const id = /<job id="([^"]+)"/.exec(r.text)?.[1] ?? "";

    const running = await job(s, id);
    expect(running.completedAt).toBeUndefined();
    expect(running.finishCode).toBeUndefined();
    clock += 1_000;
    const done = await job(s, id);
    expect(done).toMatchObject({ type: "UserImport", progress: "100", finishCode: "0" });
    expect(done.completedAt).toBeDefined();
    expect(done.statusNotes).toBeUndefined();

    const site = e.server.site("");
    const user = (name: string) => site.userByNameCi(name);
    expect(user("ada@example.com")).toMatchObject({
      siteRole: "Creator",
      fullName: "Ada Lovelace",
      email: "ada@example.com",
      authSetting: "SAML",
    });
    expect(user("bob@example.com")).toMatchObject({
      siteRole: "SiteAdministratorExplorer",
      fullName: "Bob, Jr.",
    });
    expect(user("cy@example.com")).toMatchObject({
      siteRole: "ExplorerCanPublish",
      authSetting: "ServerDefault",
    });
    expect(user("dee@example.com")).toMatchObject({ siteRole: "Viewer" });
  });

  it("fails bad rows one by one — malformed, duplicate name, no licence left — and applies the rest", async () => {
    const s = await signIn(e);
    // One Creator licence is left (3: the admin and ada hold two).
    const csv =
      tscCsv([
        ["eve@example.com", "", "Eve", "Creator", "", 1, ""],
        ["fay@example.com", "", "Fay", "Creator", "", 1, ""],
      ]) +
      'gus@example.com,,"Gus "the" Great",Viewer,,0,\r\n' +
      tscCsv([
        ["ada@example.com", "", "Ada again", "Viewer", "", 0, ""],
        ["hal@example.com", "", "Hal", "Viewer", "", 0, ""],
        ["hal@example.com", "", "Hal twice", "Viewer", "", 0, ""],
        ["ivy@example.com", "", "Ivy", "Gold", "", 0, ""],
        ["", "", "Nobody", "Viewer", "", 0, ""],
      ]);
    const r = await post("/users/import", s, importParts(csv, "<tsRequest/>"));
    expect(r.status).toBe(200);
    const id = (JSON.parse(r.text) as { job: Job }).job.id;
    clock += 1_000;
    const done = await job(s, id);
    expect(done.finishCode).toBe("1");
    const notes = done.statusNotes?.statusNote ?? [];
    expect(notes.map((n) => [n.type, n.value])).toEqual([
      ["UserImportError", "2"],
      ["UserImportError", "3"],
      ["UserImportError", "4"],
      ["UserImportError", "6"],
      ["UserImportError", "7"],
      ["UserImportError", "8"],
    ]);
    expect(notes[0]?.text).toContain("no Creator license is free; the user was added as Unlicensed");
    expect(notes[1]?.text).toContain("malformed row");
    expect(notes[2]?.text).toContain("user 'ada@example.com': a user with this name already exists");
    expect(notes[3]?.text).toContain("appears more than once");
    expect(notes[4]?.text).toContain("invalid license level 'Gold'");
    expect(notes[5]?.text).toContain("the user name is missing");

    const site = e.server.site("");
    expect(site.userByNameCi("eve@example.com")?.siteRole).toBe("Creator");
    expect(site.userByNameCi("fay@example.com")?.siteRole).toBe("Unlicensed");
    expect(site.userByNameCi("gus@example.com")).toBeUndefined();
    expect(site.userByNameCi("ada@example.com")?.fullName).toBe("Ada Lovelace");
    expect(site.userByNameCi("hal@example.com")?.fullName).toBe("Hal");
    expect(site.userByNameCi("ivy@example.com")).toBeUndefined();
  });

  it("refuses a request without the CSV part, a payload with both authSetting and idpConfigurationId, and API 3.14", async () => {
    const s = await signIn(e);
    const onlyPayload = tscMultipart([
      { name: "request_payload", filename: "", type: "text/xml", data: "<tsRequest/>" },
    ]);
    expect((await post("/users/import", s, onlyPayload)).status).toBe(400);
    const both = importParts(
      tscCsv([["jo@example.com", "", "", "Viewer", "", 0, ""]]),
      '<tsRequest><user name="jo@example.com" authSetting="SAML" idpConfigurationId="x" /></tsRequest>',
    );
    expect((await post("/users/import", s, both)).status).toBe(400);
    const old = await post(
      "/users/import",
      s,
      importParts(tscCsv([["jo@example.com", "", "", "Viewer", "", 0, ""]]), "<tsRequest/>"),
      "application/json",
      "/api/3.14",
    );
    expect(old.status).toBe(400);
    expect(old.text).toContain("3.15");
    expect(e.server.site("").userByNameCi("jo@example.com")).toBeUndefined();
  });
});

describe("CSV user delete (users.bulk_remove)", () => {
  it("removes the named users; one who owns content stays Unlicensed, an unknown name is reported", async () => {
    const s = await signIn(e);
    const site = e.server.site("");
    const owner = site.userByNameCi("dee@example.com");
    if (owner) owner.ownedContent = 2;
    // TSC's remove_users_csv: the name, then six empty columns.
    const csv = tscCsv([
      ["cy@example.com", "", "", "", "", "", ""],
      ["dee@example.com", "", "", "", "", "", ""],
      ["nobody@example.com", "", "", "", "", "", ""],
    ]);
    const r = await post(
      "/users/delete",
      s,
      tscMultipart([
        { name: "tableau_user_delete", filename: "tsc_users_file.csv", type: "file", data: csv },
      ]),
    );
    expect(r.status).toBe(200);
    const id = (JSON.parse(r.text) as { job: Job }).job.id;
    clock += 1_000;
    const done = await job(s, id);
    expect(done).toMatchObject({ type: "UserDelete", finishCode: "1" });
    expect(done.statusNotes?.statusNote.map((n) => n.value)).toEqual(["2", "3"]);
    expect(site.userByNameCi("cy@example.com")).toBeUndefined();
    expect(site.userByNameCi("dee@example.com")?.siteRole).toBe("Unlicensed");
  });
});

describe("Tableau Cloud edition", () => {
  it("ignores fullName on update and the Display Name column on import", async () => {
    const cloud = await startTableauEmulator({ port: 0, edition: "cloud", csvJobMsPerRow: 0 });
    try {
      const s = await signIn(cloud);
      const add = await fetch(`${cloud.url}${V}/sites/${s.siteId}/users`, {
        method: "POST",
        headers: {
          "x-tableau-auth": s.token,
          "content-type": "application/json",
          accept: "application/json",
        },
        body: JSON.stringify({ user: { name: "kim@example.com", siteRole: "Viewer" } }),
      });
      const uid = ((await add.json()) as { user: { id: string } }).user.id;
      const put = await fetch(`${cloud.url}${V}/sites/${s.siteId}/users/${uid}`, {
        method: "PUT",
        headers: {
          "x-tableau-auth": s.token,
          "content-type": "application/json",
          accept: "application/json",
        },
        body: JSON.stringify({ user: { fullName: "Kim K", siteRole: "Explorer" } }),
      });
      expect(((await put.json()) as { user: Record<string, string> }).user).toMatchObject({
        fullName: "",
        siteRole: "Explorer",
      });
      const r = await fetch(`${cloud.url}${V}/sites/${s.siteId}/users/import`, {
        method: "POST",
        headers: {
          "x-tableau-auth": s.token,
          accept: "application/json",
          "content-type": importParts("", "").contentType,
        },
        body: importParts(tscCsv([["lu@example.com", "", "Lu L", "Viewer", "", 0, ""]]), "<tsRequest/>").body,
      });
      expect(r.status).toBe(200);
      expect(cloud.server.site("").userByNameCi("lu@example.com")).toMatchObject({
        fullName: "",
        siteRole: "Viewer",
      });
    } finally {
      await cloud.close();
    }
  });
});
