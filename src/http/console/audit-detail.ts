// An audit row's detail as an admin reads it: what changed, attribute by attribute (`title: A → B`), and an operator
// action's figures in words ("Retried all 5 matching failures"), never raw JSON. Rows written before changes were
// recorded read as they did.
import type { AuditChange, AuditRow, AuditValue, NamedId } from "../../store/index.ts";
import { type Html, html } from "./html.ts";

type Detail = Record<string, unknown>;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const num = (v: unknown) => (typeof v === "number" ? v : Number(v) || 0);

/** Counts by kind (`{ created: 2, linked: 0, … }`) as words, the zero ones left out. */
function counts(what: string, c: unknown): string | undefined {
  if (!c || typeof c !== "object") return undefined;
  const parts = Object.entries(c as Record<string, unknown>)
    .filter(([, n]) => num(n) > 0)
    .map(([k, n]) => `${num(n)} ${k.replace(/-/g, " ")}`);
  return parts.length ? `${what}: ${parts.join(", ")}` : undefined;
}

function enqueued(e: unknown): string | undefined {
  if (!e || typeof e !== "object") return undefined;
  const q = e as { provision?: number; deprovision?: number; held?: number };
  const parts = [
    q.provision ? plural(q.provision, "provision") : "",
    q.deprovision ? plural(q.deprovision, "deprovision") : "",
    q.held ? `${plural(q.held, "deprovision")} held for approval` : "",
  ].filter(Boolean);
  return parts.length ? `queued ${parts.join(", ")}` : "nothing queued";
}

/** What the row's action did, in a sentence; undefined when its detail says nothing more. */
export function detailWords(action: string, d: Detail, hasChanges = false): string | undefined {
  if (typeof d.message === "string") return d.message;
  if (typeof d.detail === "string") return d.detail;
  const jobs = Array.isArray(d.jobs) ? (d.jobs as unknown[]) : undefined;
  switch (action) {
    case "operator.retry":
      return jobs ? `Retried job ${jobs.join(", ")}` : undefined;
    case "operator.retry-all": {
      const m = (d.matching ?? {}) as { target?: string; code?: string };
      const which = [m.target ? `in ${m.target}` : "", m.code ? `with code ${m.code}` : ""].filter(Boolean);
      return `Retried all ${plural(num(d.count), "matching failure")}${which.length ? ` ${which.join(" ")}` : ""}`;
    }
    case "operator.retry-resource":
      return Array.isArray(d.targets) ? `Retried now in ${(d.targets as string[]).join(", ")}` : undefined;
    case "operator.release":
      return d.all
        ? `Released all ${plural(num(d.count), "held deprovision")}`
        : `Released ${plural(num(d.count), "held deprovision")}${jobs ? ` (job ${jobs.join(", ")})` : ""}`;
    case "operator.acknowledge":
      return `Acknowledged the failure of job ${String(d.job)}${d.code ? ` (${String(d.code)})` : ""}${d.note ? `: ${String(d.note)}` : ""}`;
    case "operator.provision":
      return `Provision now: ${enqueued(d.enqueued)}`;
    case "operator.reconcile.dry-run":
    case "operator.reconcile.apply":
    case "operator.import.dry-run":
    case "operator.import.apply": {
      const parts = [counts("users", d.users), counts("groups", d.groups)];
      if (d.enqueued) parts.push(enqueued(d.enqueued));
      return parts.filter(Boolean).join("; ") || "nothing found";
    }
    case "console.sign-in":
    case "console.sign-out":
      return [
        d.method ? `with ${String(d.method)}` : "",
        d.role ? `as ${String(d.role)}` : "",
        d.reason ? String(d.reason) : "",
      ]
        .filter(Boolean)
        .join(" ");
    case "oauth.token":
      return [d.address ? `from ${String(d.address)}` : "", d.reason ? String(d.reason) : ""]
        .filter(Boolean)
        .join(": ");
  }
  // A group's write recorded before its members were listed as changes.
  if (!hasChanges && (d.membersAdded || d.membersRemoved))
    return [
      d.membersAdded ? `${plural(num(d.membersAdded), "member")} added` : "",
      d.membersRemoved ? `${plural(num(d.membersRemoved), "member")} removed` : "",
    ]
      .filter(Boolean)
      .join(", ");
  return undefined;
}

const shown = (v: AuditValue | undefined) => (v === undefined ? "(none)" : String(v));

/** One change as text: `title: A → B`, `password: (changed)`, `members: +2 −1`. */
export function changeText(c: AuditChange): string {
  if (c.hidden) return `${c.path}: (changed)`;
  if (c.added || c.removed) {
    const add = c.added?.length ? `added ${c.addedCount ?? c.added.length}` : "";
    const rem = c.removed?.length ? `removed ${c.removedCount ?? c.removed.length}` : "";
    return `${c.path}: ${[add, rem].filter(Boolean).join(", ")}`;
  }
  return `${c.path}: ${shown(c.old)} → ${shown(c.new)}`;
}

/**
 * A member (or manager) of a change by name, linked to its page (a user's or a group's), "deleted" when it is; by
 * its short id when the store never held it or the page did not ask for names.
 */
function member(id: string, names: ReadonlyMap<string, NamedId> | undefined): Html {
  const n = names?.get(id.toLowerCase());
  if (!n?.type)
    return html`<a href="/console/users/${id}" data-member="${id}"><code>${id.slice(0, 8)}…</code></a>`;
  const name = (n.type === "User" ? n.userName : n.displayName) ?? `${id.slice(0, 8)}…`;
  return html`<a href="/console/${n.type === "User" ? "users" : "groups"}/${id}" data-member="${id}">${name}</a>${
    n.deleted ? html` <span class="badge" data-deleted>deleted</span>` : ""
  }`;
}

function changeItem(c: AuditChange, names: ReadonlyMap<string, NamedId> | undefined): Html {
  if (!c.hidden && (c.added || c.removed)) {
    const list = (ids: string[], total: number | undefined) =>
      html`${ids.map((id, i) => html`${i ? ", " : ""}${member(id, names)}`)}${total && total > ids.length ? ` and ${total - ids.length} more` : ""}`;
    return html`<li data-change="${c.path}"><code>${c.path}</code>: ${
      c.added?.length ? html`added ${list(c.added, c.addedCount)}` : ""
    }${c.added?.length && c.removed?.length ? "; " : ""}${c.removed?.length ? html`removed ${list(c.removed, c.removedCount)}` : ""}</li>`;
  }
  if (c.hidden) return html`<li data-change="${c.path}"><code>${c.path}</code>: <em>(changed)</em></li>`;
  // A manager by name, linked, when the page knows who the id is.
  const value = (v: AuditValue | undefined) =>
    typeof v === "string" && names?.get(v.toLowerCase())?.type ? member(v, names) : shown(v);
  if (c.path.endsWith("manager.value"))
    return html`<li data-change="${c.path}"><code>${c.path}</code>: ${value(c.old)} → ${value(c.new)}</li>`;
  return html`<li data-change="${c.path}"><code>${c.path}</code>: ${shown(c.old)} → ${shown(c.new)}</li>`;
}

/** The detail cell of an audit row: its words, then its changes one per line. */
export function auditDetail(e: Pick<AuditRow, "action" | "detail" | "changes" | "idNames">): Html {
  const { detail, changes } = e;
  const words =
    detail === null || detail === undefined
      ? undefined
      : typeof detail === "object"
        ? detailWords(e.action, detail as Detail, changes.length > 0)
        : String(detail);
  return html`${words ?? ""}${changes.length ? html`<ul class="changes">${changes.map((c) => changeItem(c, e.idNames))}</ul>` : ""}`;
}
