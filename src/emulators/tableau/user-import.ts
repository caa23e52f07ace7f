/**
 * Adding and removing users from a CSV file (API 3.15): the file format of Tableau's CSV import guidelines
 * (no header; Username, Password, Display Name, License, Admin Level, Publish, Email), processed row by row
 * as a background job. A bad row fails alone; the others are applied.
 *
 * Not verified against a real server [?]: how a finished UserImport job lists its failed rows. The emulator
 * puts one `statusNote` per failed row (type "UserImportError"/"UserDeleteError", value = the line number,
 * text = what went wrong, naming the user), the shape Tableau's jobs use for import notes.
 */
import { randomUUID } from "node:crypto";
import { isAuthSetting, isWritableSiteRole } from "./roles.ts";
import type { TableauSite } from "./site.ts";

export interface JobNote {
  line: number;
  text: string;
}

export interface SiteJob {
  id: string;
  type: "UserImport" | "UserDelete";
  createdAt: number;
  /** When the job reports itself finished (the rows are applied at once; only the report waits). */
  completeAt: number;
  rows: number;
  notes: JobNote[];
}

export interface CsvRecord {
  line: number;
  fields?: string[];
  error?: string;
}

/** RFC 4180 records with the line each starts on; a malformed record is reported and skipped. */
export function parseCsv(text: string): CsvRecord[] {
  const out: CsvRecord[] = [];
  const src = text.replace(/^\uFEFF/, "");
  let i = 0;
  let line = 1;
  while (i < src.length) {
    const start = line;
    const fields: string[] = [];
    let field = "";
    let error: string | undefined;
    let quoted = false;
    let atFieldStart = true;
    for (;;) {
      if (i >= src.length) {
        if (quoted) error = "a quoted field is not closed";
        fields.push(field);
        break;
      }
      const c = src[i] as string;
      if (quoted) {
        if (c === '"' && src[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (c === '"') {
          quoted = false;
          i++;
          if (i < src.length && !/[,\r\n]/.test(src[i] as string)) {
            error = "text after a closing quote";
          }
        } else {
          if (c === "\n") line++;
          field += c;
          i++;
        }
        if (error) break;
        continue;
      }
      if (c === '"' && atFieldStart) {
        quoted = true;
        atFieldStart = false;
        i++;
      } else if (c === '"') {
        error = "a quote inside an unquoted field";
        break;
      } else if (c === ",") {
        fields.push(field);
        field = "";
        atFieldStart = true;
        i++;
      } else if (c === "\r" || c === "\n") {
        fields.push(field);
        i += c === "\r" && src[i + 1] === "\n" ? 2 : 1;
        line++;
        break;
      } else {
        field += c;
        atFieldStart = false;
        i++;
      }
    }
    if (error) {
      // Skip the rest of this physical line and carry on with the next record.
      while (i < src.length && src[i] !== "\n") i++;
      if (i < src.length) {
        i++;
        line++;
      }
      out.push({ line: start, error });
    } else if (!(fields.length === 1 && fields[0] === "")) {
      out.push({ line: start, fields });
    }
  }
  return out;
}

/** The site role a row's License, Admin Level and Publish columns give, or why they give none. */
export function roleOfRow(
  license: string,
  admin: string,
  publish: string,
): { role?: string; error?: string } {
  const lic = license.trim().toLowerCase() || "unlicensed";
  const adm = admin.trim().toLowerCase();
  const pub = publish.trim();
  const tiers: Record<string, string> = {
    creator: "Creator",
    explorer: "Explorer",
    viewer: "Viewer",
    unlicensed: "Unlicensed",
  };
  const tier = tiers[lic];
  if (!tier) return { error: `invalid license level '${license}' (Creator, Explorer, Viewer or Unlicensed)` };
  if (!["", "0", "1"].includes(pub)) return { error: `invalid publish value '${publish}' (0 or 1)` };
  if (adm === "system") return { error: "server administrators cannot be added by a site import" };
  if (adm === "site") {
    if (tier !== "Creator" && tier !== "Explorer")
      return { error: `a site administrator needs a Creator or Explorer license, not ${tier}` };
    return { role: `SiteAdministrator${tier}` };
  }
  if (adm !== "" && adm !== "none")
    return { error: `invalid admin level '${admin}' (Site, System or empty)` };
  if (tier === "Explorer" && pub === "1") return { role: "ExplorerCanPublish" };
  return { role: tier };
}

export interface ImportOptions {
  /** Per user name: authSetting or idpConfigurationId from the request payload. */
  auth: Map<string, { authSetting?: string; idpConfigurationId?: string }>;
  /** Tableau Cloud does not use the Display Name column (its import guidelines say so). */
  ignoreDisplayName: boolean;
  now: number;
  msPerRow: number;
}

export function runImport(site: TableauSite, csv: string, o: ImportOptions): SiteJob {
  const records = parseCsv(csv);
  const notes: JobNote[] = [];
  const seen = new Set<string>();
  const fail = (line: number, text: string) => notes.push({ line, text });
  for (const r of records) {
    if (!r.fields) {
      fail(r.line, `Line ${r.line}: malformed row: ${r.error}`);
      continue;
    }
    if (r.fields.length > 7) {
      fail(r.line, `Line ${r.line}: malformed row: ${r.fields.length} columns, at most 7 expected`);
      continue;
    }
    const [rawName = "", , display = "", license = "", admin = "", publish = "", email = ""] = r.fields;
    const name = rawName.includes("\\") ? rawName.slice(rawName.indexOf("\\") + 1) : rawName.trim();
    if (!name) {
      fail(r.line, `Line ${r.line}: the user name is missing`);
      continue;
    }
    const what = `Line ${r.line}: user '${name}'`;
    const role = roleOfRow(license, admin, publish);
    if (!role.role) {
      fail(r.line, `${what}: ${role.error}`);
      continue;
    }
    if (seen.has(name.toLowerCase())) {
      fail(r.line, `${what}: the name appears more than once in the file`);
      continue;
    }
    seen.add(name.toLowerCase());
    if (site.userByNameCi(name)) {
      fail(r.line, `${what}: a user with this name already exists on the site (409017)`);
      continue;
    }
    if (email && !/^[^@\s]+@[^@\s]+$/.test(email)) {
      fail(r.line, `${what}: '${email}' is not a valid email address`);
      continue;
    }
    const auth = o.auth.get(name.toLowerCase());
    const authSetting = auth?.authSetting ?? (auth?.idpConfigurationId ? "SAML" : undefined);
    if (authSetting !== undefined && !isAuthSetting(authSetting)) {
      fail(r.line, `${what}: invalid authSetting '${authSetting}'`);
      continue;
    }
    const wanted = role.role;
    const user = site.addUser({
      name,
      siteRole: isWritableSiteRole(wanted) ? wanted : "Unlicensed",
      ...(authSetting ? { authSetting } : {}),
      ...(display && !o.ignoreDisplayName ? { fullName: display } : {}),
      ...(email ? { email } : {}),
    });
    if (user.siteRole !== wanted) {
      // As with one add: with no licence free the user is still added, Unlicensed.
      fail(r.line, `${what}: no ${wanted} license is free; the user was added as ${user.siteRole}`);
    }
  }
  return job("UserImport", records.length, notes, o);
}

/** Removes the users named in the first column; one who owns content stays, Unlicensed, as with one delete. */
export function runDelete(
  site: TableauSite,
  csv: string,
  o: { now: number; msPerRow: number; selfId: string },
): SiteJob {
  const records = parseCsv(csv);
  const notes: JobNote[] = [];
  for (const r of records) {
    const rawName = r.fields?.[0]?.trim() ?? "";
    const name = rawName.includes("\\") ? rawName.slice(rawName.indexOf("\\") + 1) : rawName;
    if (!r.fields || !name) {
      notes.push({
        line: r.line,
        text: `Line ${r.line}: malformed row: ${r.error ?? "the user name is missing"}`,
      });
      continue;
    }
    const user = site.userByNameCi(name);
    const what = `Line ${r.line}: user '${name}'`;
    if (!user) notes.push({ line: r.line, text: `${what}: no such user on the site (404002)` });
    else if (user.id === o.selfId) notes.push({ line: r.line, text: `${what}: you cannot remove yourself` });
    else {
      try {
        site.removeUser(user.id);
      } catch {
        notes.push({
          line: r.line,
          text: `${what}: owns content, so was set to Unlicensed and not removed (409003)`,
        });
      }
    }
  }
  return job("UserDelete", records.length, notes, o);
}

function job(
  type: SiteJob["type"],
  rows: number,
  notes: JobNote[],
  o: { now: number; msPerRow: number },
): SiteJob {
  return {
    id: randomUUID(),
    type,
    createdAt: o.now,
    completeAt: o.now + Math.round(rows * o.msPerRow),
    rows,
    notes,
  };
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** The job element: progress until done, then completedAt and finishCode (0 = every row applied, 1 = not). */
export function jobView(j: SiteJob, now: number, justCreated = false) {
  const done = now >= j.completeAt;
  const span = Math.max(1, j.completeAt - j.createdAt);
  const progress = done ? 100 : Math.min(99, Math.floor(((now - j.createdAt) / span) * 100));
  const noteType = j.type === "UserImport" ? "UserImportError" : "UserDeleteError";
  return {
    id: j.id,
    mode: "Asynchronous",
    type: j.type,
    progress: String(justCreated ? 0 : progress),
    createdAt: iso(j.createdAt),
    ...(justCreated
      ? // Tableau's answer to the import call carries finishCode="1" before anything ran (TSC's fixture).
        { finishCode: "1" }
      : {
          startedAt: iso(j.createdAt),
          ...(done ? { completedAt: iso(j.completeAt), finishCode: j.notes.length ? "1" : "0" } : {}),
          ...(done && j.notes.length
            ? {
                statusNotes: {
                  statusNote: j.notes.map((n) => ({ type: noteType, value: String(n.line), text: n.text })),
                },
              }
            : {}),
        }),
  };
}
