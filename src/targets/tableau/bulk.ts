// Many users added or removed in one call (API 3.15): a CSV file becomes a background job; when it has
// finished, the users are looked up by name in one paged query, so each operation gets its own outcome.
import type { MappedFields } from "../../mapping/index.ts";
import type { Operation, Outcome } from "../target.ts";
import { RawBody } from "./client/request.ts";
import { outcomeOfError, type TableauContext } from "./context.ts";
import { type FinishedJob, jobOf, waitForJob } from "./jobs.ts";
import { bringInLine, desiredFields, findUserByName, mapUser, type TableauUser } from "./users.ts";

/** The CSV import and delete calls arrived in REST API 3.15. */
export const CSV_USERS_MIN_MINOR = 15;
/** URL room for one `name:in:[…]` lookup; Tableau Server's gateway refuses request lines much past 8 KB. */
const MAX_FILTER_URL_BYTES = 6_000;

type UpsertOp = Extract<Operation, { kind: "user.upsert" }>;
export type Indexed<T> = { index: number; op: T };

/** One CSV cell: quoted when it holds a comma, quote or line break (RFC 4180, as Python's csv.writer). */
function cell(v: unknown): string {
  const s = v === undefined || v === null ? "" : String(v).replace(/[\r\n]+/g, " ");
  return /[",]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * A site role as the import file spells it: License, Admin Level, Publish (the columns Tableau's CSV import
 * guidelines give, derived the way Tableau's Python client derives them).
 */
export function csvRoleColumns(siteRole: string): [string, string, number] {
  const admin = siteRole.startsWith("SiteAdministrator") ? "Site" : "";
  const license = admin ? siteRole.slice("SiteAdministrator".length) : siteRole.replace("CanPublish", "");
  const publish = /Creator|Admin|Publish/.test(siteRole) ? 1 : 0;
  return [license, admin, publish];
}

/** Username, Password, Display Name, License, Admin Level, Publish, Email; no header row. */
export function importCsvRow(fields: MappedFields): string {
  const [license, admin, publish] = csvRoleColumns(String(fields.siteRole));
  return [fields.name, "", fields.fullName, license, admin, publish, fields.email].map(cell).join(",");
}

const xmlAttr = (s: string) =>
  s.replace(/[&<>"]/g, (c) => `&${{ "&": "amp", "<": "lt", ">": "gt", '"': "quot" }[c]};`);

/** multipart/mixed, as Tableau's Python client sends the CSV calls. */
function multipart(parts: { name: string; filename: string; type: string; data: string }[]): RawBody {
  const boundary = `scim-bridge-${crypto.randomUUID()}`;
  let body = "";
  for (const p of parts)
    body += `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\nContent-Type: ${p.type}\r\n\r\n${p.data}\r\n`;
  return new RawBody(`multipart/mixed; boundary=${boundary}`, `${body}--${boundary}--\r\n`);
}

/** Names that cannot travel inside `name:in:[…]` are looked up one by one instead. */
const listable = (name: string) => !/[,[\]]/.test(name);

/** `name:in:[…]` lists of URL size; names that cannot travel inside one are left out (look them up alone). */
export function nameInSlices(names: Iterable<string>): string[][] {
  const slices: string[][] = [];
  let slice: string[] = [];
  let bytes = 0;
  for (const name of new Set([...names].filter(listable))) {
    const size = encodeURIComponent(`${name},`).length;
    if (slice.length > 0 && bytes + size > MAX_FILTER_URL_BYTES) {
      slices.push(slice);
      slice = [];
      bytes = 0;
    }
    slice.push(name);
    bytes += size;
  }
  if (slice.length > 0) slices.push(slice);
  return slices;
}

/** The element name of each list in Tableau's answers. */
const ITEM = { users: "user", groups: "group" } as const;

/**
 * The site's users or groups whose `field` is in one of `slices` (each a `…:in:[…]` list of URL size): a batch's
 * lookups in a few calls, not one each.
 */
export async function listedIn<T>(
  ctx: TableauContext,
  list: "users" | "groups",
  field: "name" | "luid",
  slices: string[][],
  query: Record<string, string> = {},
): Promise<T[]> {
  const found: T[] = [];
  await Promise.all(
    slices.map(async (part) => {
      const filter = { ...query, filter: `${field}:in:[${part.join(",")}]` };
      for await (const page of ctx.client.pages<T>(`/${list}`, list, ITEM[list], filter)) found.push(...page);
    }),
  );
  return found;
}

/** The site users with these names (any case): `name:in` lookups of URL-sized slices, then one by one. */
export async function usersByName(ctx: TableauContext, names: string[]): Promise<Map<string, TableauUser>> {
  const found = new Map<string, TableauUser>();
  for (const u of await listedIn<TableauUser>(ctx, "users", "name", nameInSlices(names), { fields: "_all_" }))
    found.set(u.name.toLowerCase(), u);
  // `in` compares exactly; a user whose name differs in case only is found by a case-blind lookup.
  const missing = names.filter((n) => !found.has(n.toLowerCase()));
  await Promise.all(
    missing.map(async (n) => {
      const u = await findUserByName(ctx, n);
      if (u) found.set(n.toLowerCase(), u);
    }),
  );
  return found;
}

/** Whether `ops` should go through the CSV import: enough of them, and an API version that has it. */
export async function useCsv(ctx: TableauContext, count: number): Promise<boolean> {
  return count > ctx.config.bulkThreshold && (await ctx.client.minor()) >= CSV_USERS_MIN_MINOR;
}

/**
 * user.upsert for users new to the bridge (no link): one import job, then one lookup. A row Tableau refused
 * fails that operation with Tableau's words; a user who already existed is linked and brought in line as
 * the one-by-one path would. Fields a new user did not take (Tableau Cloud ignores the display name) are
 * not sent again: the outcome says they were sent.
 */
export async function addUsersByCsv(ctx: TableauContext, adds: Indexed<UpsertOp>[], outcomes: Outcome[]) {
  const rows = adds.map((a) => ({ ...a, fields: mapUser(ctx, a.op.user) }));
  let job: FinishedJob;
  let found: Map<string, TableauUser>;
  try {
    const payload = rows
      .filter((r) => r.fields.authSetting)
      .map(
        (r) =>
          `<user name="${xmlAttr(String(r.fields.name))}" authSetting="${xmlAttr(String(r.fields.authSetting))}"/>`,
      )
      .join("");
    const started = await ctx.client.site("POST", "/users/import", {
      body: multipart([
        {
          name: "tableau_user_import",
          filename: "users.csv",
          type: "file",
          data: rows.map((r) => `${importCsvRow(r.fields)}\r\n`).join(""),
        },
        {
          name: "request_payload",
          filename: "",
          type: "text/xml",
          data: `<tsRequest>${payload}</tsRequest>`,
        },
      ]),
    });
    job = await waitForJob(ctx, jobOf(started));
    found = await usersByName(
      ctx,
      rows.map((r) => String(r.fields.name)),
    );
  } catch (e) {
    const outcome = outcomeOfError(ctx, e);
    for (const r of rows) outcomes[r.index] = outcome;
    ctx.log?.warn({ target: ctx.config.name, users: rows.length, outcome }, "Tableau CSV import not applied");
    return;
  }
  await Promise.all(
    rows.map(async (r, i) => {
      const user = found.get(String(r.fields.name).toLowerCase());
      const note = job.rowNotes.get(i + 1);
      try {
        outcomes[r.index] = user
          ? await settleAdded(ctx, user, r.fields, note)
          : ({
              status: job.finishCode === 0 && !note ? "retry" : "failed",
              code: "TABLEAU_IMPORT_ROW",
              message:
                note ??
                `the import job (finish code ${job.finishCode}) did not add this user${job.notes.length ? `: ${job.notes.join("; ")}` : ""}`,
            } as Outcome);
      } catch (e) {
        outcomes[r.index] = outcomeOfError(ctx, e);
      }
    }),
  );
}

async function settleAdded(
  ctx: TableauContext,
  user: TableauUser,
  fields: MappedFields,
  note: string | undefined,
): Promise<Outcome> {
  const imported = note === undefined || /was added as/.test(note);
  // A row the import did not add names a user already on the site: found by its name.
  if (!imported)
    return {
      ...(await bringInLine(ctx, user, fields, "linked to the existing site user")),
      match: { by: "name", targetId: user.id },
    };
  const created = { match: { by: "none", targetId: user.id }, action: "create" } as const;
  const desired = desiredFields(ctx, fields, user);
  if (user.siteRole !== desired.siteRole)
    return {
      status: "done",
      targetId: user.id,
      detail: `created as ${user.siteRole}: no licence was free for ${desired.siteRole}`,
      ...created,
    };
  // The row carried these; what the site kept instead is its own (Tableau Cloud takes names from the IdP).
  const held = (["fullName", "email"] as const).filter(
    (f) => desired[f] !== undefined && String(desired[f] ?? "") !== String(user[f] ?? ""),
  );
  return {
    status: "done",
    targetId: user.id,
    detail: held.length
      ? `created by CSV import; the site kept its own ${held.join(", ")}`
      : "created by CSV import",
    ...created,
    ...(held.length ? { sent: Object.fromEntries(held.map((f) => [f, desired[f]])) } : {}),
  };
}

/** Users found by LUID (`luid:in:[…]`, slices of 150 ids): linked users of a batch in a few calls, not one each. */
export async function usersById(ctx: TableauContext, ids: string[]): Promise<Map<string, TableauUser>> {
  const unique = [...new Set(ids)];
  const slices: string[][] = [];
  for (let i = 0; i < unique.length; i += 150) slices.push(unique.slice(i, i + 150));
  const users = await listedIn<TableauUser>(ctx, "users", "luid", slices, { fields: "_all_" });
  return new Map(users.map((u) => [u.id, u]));
}

export interface Removal {
  index: number;
  targetId?: string;
  /** The site user name, when the SCIM user is known; used when there is no link. */
  name?: string;
}

/**
 * Deprovisioning by removal for many users: one delete job for a CSV of their names. A user who still owns
 * content is left Unlicensed by Tableau, which is deprovisioned too. Only without policies.mapAssetsTo: the
 * CSV call cannot hand content over.
 */
export async function removeUsersByCsv(ctx: TableauContext, removals: Removal[], outcomes: Outcome[]) {
  try {
    const linked = removals.filter((r) => r.targetId);
    const byId = await usersById(
      ctx,
      linked.map((r) => r.targetId as string),
    );
    const byName = await usersByName(
      ctx,
      removals.flatMap((r) => (!r.targetId && r.name ? [r.name] : [])),
    );
    const present = new Map<number, TableauUser>();
    for (const r of removals) {
      const u = r.targetId ? byId.get(r.targetId) : r.name ? byName.get(r.name.toLowerCase()) : undefined;
      if (u) present.set(r.index, u);
      else outcomes[r.index] = { status: "done", detail: "not a user of the site; nothing to deprovision" };
    }
    if (present.size === 0) return;
    const entries = [...present.entries()];
    const users = entries.map(([, u]) => u);
    const started = await ctx.client.site("POST", "/users/delete", {
      body: multipart([
        {
          name: "tableau_user_delete",
          filename: "users.csv",
          type: "file",
          data: users.map((u) => `${cell(u.name)},,,,,,\r\n`).join(""),
        },
      ]),
    });
    const job = await waitForJob(ctx, jobOf(started));
    const left = await usersById(
      ctx,
      users.map((u) => u.id),
    );
    entries.forEach(([index, u], i) => {
      const still = left.get(u.id);
      const note = job.rowNotes.get(i + 1);
      if (!still) outcomes[index] = { status: "done", detail: "removed from the site" };
      else if (still.siteRole === "Unlicensed")
        outcomes[index] = {
          status: "done",
          targetId: u.id,
          detail: `owns content, so left Unlicensed instead of removed${note ? ` (${note})` : ""}`,
        };
      // The job left them licensed (a row it could not match, a cancelled job): removed one by one instead, by
      // id, so an offboarded user never keeps a licence because of the bulk path.
      else
        ctx.log?.info(
          { target: ctx.config.name, finishCode: job.finishCode },
          "Tableau delete job left a user licensed; removing it by id",
        );
    });
  } catch (e) {
    const outcome = outcomeOfError(ctx, e);
    for (const r of removals) outcomes[r.index] ??= outcome;
  }
}
