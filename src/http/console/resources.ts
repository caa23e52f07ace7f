// Find a user or group (userName / displayName / externalId), and one resource's page: its SCIM record, its state in
// each target with the last error and what to do, its open jobs and its history; "retry now" and "provision now".
import type { Request, Response, Router } from "express";
import type { ResourceView } from "../../directory/index.ts";
import { BridgeError } from "../../errors.ts";
import { toListRequest } from "../../scim/list-query.ts";
import {
  type DeletedResource,
  deletedNames,
  findDeleted,
  isResourceId,
  type Link,
  type LinkStatus,
  linksFor,
  openJobsOf,
  queryAudit,
  type ResourceType,
} from "../../store/index.ts";
import { nameOf, provisionNow, retryResource } from "../../sync/actions/index.ts";
import { whatToDo } from "./advice.ts";
import { auditTable } from "./audit.ts";
import { type ConsoleDeps, may, param, sendFragment, sendPage, session } from "./context.ts";
import { csrfField, empty, type Html, html, qs, time } from "./html.ts";
import { consoleActor } from "./session.ts";

const KINDS: Record<string, ResourceType> = { users: "User", groups: "Group" };
const PATH: Record<ResourceType, string> = { User: "users", Group: "groups" };
/** How long "provision now" waits for the delivery's outcome before answering "still running". */
const ON_DEMAND_WAIT_MS = 10_000;

const provisionCsrf = (res: Response) => (may(res, "operator.provision") ? session(res).csrf : undefined);

function stateBadge(state: string) {
  return html`<span class="badge state-${state}" data-state="${state}">${state}</span>`;
}

async function search(deps: ConsoleDeps, q: string, types: ResourceType[]) {
  const s = JSON.stringify(q);
  const out: { type: ResourceType; view: ResourceView }[] = [];
  for (const type of types) {
    const filter = isResourceId(q)
      ? `id eq ${s}`
      : type === "User"
        ? `userName sw ${s} or displayName sw ${s} or externalId eq ${s}`
        : `displayName sw ${s} or externalId eq ${s}`;
    const request = toListRequest(
      { filter, count: 25, sortBy: type === "User" ? "userName" : "displayName" },
      25,
    );
    const { items } = await deps.sync.directory.list(type, request, { relations: false, status: true });
    out.push(...items.map((view) => ({ type, view })));
  }
  return out;
}

/** Deleted users and groups matching `q`, with their state in each target (deprovisioned, or still on its way). */
async function searchDeleted(deps: ConsoleDeps, q: string, types: ResourceType[]) {
  const found: DeletedResource[] = [];
  for (const type of types) found.push(...(await findDeleted(deps.sync.db, type, q, 25)));
  const links = await linksFor(
    deps.sync.db,
    found.map((d) => d.id),
  );
  return found.map((d) => ({ d, links: links.filter((l) => l.resourceId === d.id) }));
}

/** A deleted resource's state in a target: deprovisioned once the target confirmed, else its open work's. */
const goneState = (l: Link) => (l.state === "synced" && l.deprovisioned ? "deprovisioned" : l.state);

function deletedStatusCells(links: Link[]): Html {
  if (!links.length) return html`<span class="muted">never in a target</span>`;
  return html`${links.map((l) => html`<span class="nowrap">${l.target}: ${stateBadge(goneState(l))}</span> `)}`;
}

function statusCells(status: LinkStatus[] | undefined): Html {
  if (!status?.length) return html`<span class="muted">not queued for any target</span>`;
  return html`${status.map((l) => html`<span class="nowrap">${l.target}: ${stateBadge(l.state)}</span> `)}`;
}

/** The resource type of a /users or /groups path and its id, which must be a UUID (else a 404 page). */
function resourceOf(kind: string, req: Request): { type: ResourceType; id: string } {
  const id = String(req.params.id);
  if (!isResourceId(id)) throw new BridgeError("SCIM_NOT_FOUND", `${id} is not a resource id (a UUID)`);
  return { type: KINDS[kind]!, id };
}

/** `csrf` is absent when the operator may not provision (the buttons are not shown). */
async function statusSection(
  deps: ConsoleDeps,
  type: ResourceType,
  id: string,
  csrf: string | undefined,
  deleted = false,
): Promise<Html> {
  // Failed jobs are not open: they wait for an admin, in the state above and under Failed & held.
  const [links, open] = await Promise.all([linksFor(deps.sync.db, [id]), openJobsOf(deps.sync.db, id, 20)]);
  const rows = deps.sync.targets.map((t) => {
    const l = links.find((x) => x.target === t.name);
    return html`<tr data-target="${t.name}">
<th scope="row">${t.name}</th>
<td data-label="state">${l ? stateBadge(deleted ? goneState(l) : l.state) : html`<span class="muted">not in this target</span>`}</td>
<td data-label="target id">${l?.targetId ?? html`<span class="muted">—</span>`}</td>
<td data-label="last attempt">${time(l?.lastAttemptAt)}</td>
<td data-label="last error" data-last-error>${l?.errorCode ? html`<code data-error-code>${l.errorCode}</code> ${l.errorMessage}` : html`<span class="muted">—</span>`}</td>
<td data-label="what to do" data-what-to-do>${
      l
        ? whatToDo({ state: l.state, errorCode: l.errorCode, deprovisioned: l.deprovisioned })
        : deleted
          ? "Nothing: it was never in this target."
          : "Provision now sends it if it is in the target's scope."
    }</td>
<td>${
      deleted || !csrf
        ? ""
        : html`<form method="post" action="/console/${PATH[type]}/${id}/provision">${csrfField(csrf)}
  <input type="hidden" name="target" value="${t.name}">
  <button type="submit" class="secondary" aria-label="Provision now into ${t.name}">Provision now</button></form>`
    }</td>
</tr>`;
  });
  // At phone width each target's row is a card of labelled lines (console.css table.stack): the error, what to do
  // and Provision now stay on screen instead of beyond a horizontal scroll.
  return html`<div class="scroll"><table aria-label="State in each target" class="stack">
<tr class="head"><th>target</th><th>state</th><th>target id</th><th>last attempt</th><th>last error</th><th>what to do</th><th></th></tr>
${rows}</table></div>
<h2>Open jobs</h2>
${
  open.length
    ? html`<div class="scroll"><table aria-label="Open jobs"><tr><th class="num">job</th><th>target</th><th>action</th><th>state</th><th class="num">attempts</th><th>next attempt</th><th>last error</th></tr>
${open.map(
  (
    j,
  ) => html`<tr><td class="num">${j.id}</td><td>${j.target}</td><td>${j.action}</td><td>${stateBadge(j.state)}</td>
<td class="num">${j.attempts}</td><td>${j.state === "pending" ? time(j.notBefore) : "—"}</td>
<td>${j.lastErrorCode ? html`<code>${j.lastErrorCode}</code> ${j.lastErrorMessage}` : "—"}</td></tr>`,
)}</table></div>`
    : html`<p class="muted">No open jobs: nothing is waiting to be delivered.</p>`
}`;
}

const deletedName = (d: DeletedResource) =>
  (d.type === "User" ? d.userName : d.displayName) ?? d.displayName ?? d.id;

/** A deleted user's or group's page: who it was, its state in each target (deprovisioned or on its way), its history. */
async function sendDeletedPage(deps: ConsoleDeps, res: Response, kind: string, d: DeletedResource) {
  const s = session(res);
  const history = await queryAudit(deps.sync.db, { resourceIds: [d.id] }, { limit: 50 }, { idNames: true });
  sendPage(res, {
    title: deletedName(d),
    nav: "find",
    body: html`<h1>${d.type} ${deletedName(d)} <span class="badge" data-deleted>deleted</span></h1>
<dl class="facts">${d.type === "User" ? html`<dt>userName</dt><dd>${d.userName ?? "—"}</dd>` : ""}
<dt>displayName</dt><dd>${d.displayName ?? "—"}</dd><dt>externalId</dt><dd>${d.externalId ?? "—"}</dd>
<dt>id</dt><dd><code>${d.id}</code></dd><dt>deleted</dt><dd>${time(d.deletedAt)}</dd></dl>
<form method="post" action="/console/${kind}/${d.id}/retry" class="actions">${csrfField(s.csrf)}
  <button type="submit">Retry now</button>
  <span class="muted">A failed deprovision gets a fresh set of attempts; one waiting out a backoff is tried at once.</span>
</form>
<h2>State in each target</h2>
<div data-live="/console/live/${kind}/${d.id}" data-every="3000">${await statusSection(deps, d.type, d.id, s.csrf, true)}</div>
<h2>History</h2>
${history.length ? auditTable(history) : html`<p class="muted">No audit events.</p>`}
<p><a href="/console/${kind}/${d.id}/log" data-log>Provisioning log</a> · <a href="/console/audit${qs({ resource: d.id })}">All of its audit events</a></p>`,
  });
}

export function resourceRoutes(
  router: Router,
  deps: ConsoleDeps & { flash(res: Response, m: string): Promise<void> },
) {
  router.get("/find", async (req, res) => {
    const q = param(req, "q");
    const type = param(req, "type") ?? "all";
    if (!["all", "User", "Group"].includes(type))
      throw new BridgeError("SCIM_INVALID_VALUE", "type must be all, User or Group");
    const types: ResourceType[] = type === "all" ? ["User", "Group"] : [type as ResourceType];
    const results = q ? await search(deps, q, types) : [];
    const gone = q ? await searchDeleted(deps, q, types) : [];
    sendPage(res, {
      title: "Find",
      nav: "find",
      body: html`<h1>Find a user or group</h1>
<form method="get" action="/console/find" class="filters" role="search">
  <span class="field"><label for="f-q">userName, displayName, externalId or id</label> <input type="search" id="f-q" name="q" value="${q ?? ""}" autofocus></span>
  <span class="field"><label for="f-type">Type</label> <select id="f-type" name="type">${[
    "all",
    "User",
    "Group",
  ].map((t) => html`<option${t === type ? html` selected` : ""}>${t}</option>`)}</select></span>
  <button type="submit">Find</button>
</form>
${
  !q
    ? html`<p class="muted">Type the start of a userName or displayName, or an exact externalId or id.</p>`
    : results.length || gone.length
      ? html`<div class="scroll"><table aria-label="Results"><tr><th>type</th><th>name</th><th>externalId</th><th>state per target</th></tr>
${results.map(
  (
    r,
  ) => html`<tr><td>${r.type}</td><td><a href="/console/${PATH[r.type]}/${r.view.resource.id}">${nameOf(r.view)}</a></td>
<td>${String(r.view.resource.data.externalId ?? "—")}</td><td>${statusCells(r.view.status)}</td></tr>`,
)}${gone.map(
  ({
    d,
    links,
  }) => html`<tr data-deleted="${d.id}"><td>${d.type}</td><td><a href="/console/${PATH[d.type]}/${d.id}">${deletedName(d)}</a>${
    d.type === "User" && d.displayName ? html` <span data-display-name>${d.displayName}</span>` : ""
  } <span class="badge" data-deleted>deleted</span></td>
<td>${d.externalId ?? "—"}</td><td>${deletedStatusCells(links)}</td></tr>`,
)}</table></div>${results.length >= 25 || gone.length >= 25 ? html`<p class="muted">Showing the first 25 of each type; type more to narrow.</p>` : ""}`
      : empty(
          `Nothing matches "${q}".`,
          "userName and displayName match from their start (case-insensitive); externalId and id must be exact.",
        )
}`,
    });
  });

  for (const kind of Object.keys(KINDS)) {
    router.get(`/${kind}/:id`, async (req, res) => {
      const { type, id } = resourceOf(kind, req);
      const view = await deps.sync.directory.get(type, id, { relations: true }).catch(async (e: unknown) => {
        const d = await deletedNames(deps.sync.db, id);
        if (d?.type !== type) throw e;
        return d;
      });
      if ("deletedAt" in view) {
        await sendDeletedPage(deps, res, kind, view);
        return;
      }
      const s = session(res);
      const history = await queryAudit(deps.sync.db, { resourceIds: [id] }, { limit: 50 }, { idNames: true });
      const record = {
        id,
        ...view.resource.data,
        meta: {
          version: view.resource.version,
          created: view.resource.created,
          lastModified: view.resource.lastModified,
        },
      };
      sendPage(res, {
        title: nameOf(view),
        nav: "find",
        body: html`<h1>${type} ${nameOf(view)}</h1>
<p><a href="/console/${kind}/${id}/log" data-log>Provisioning log</a>: each IdP request and what every target did with it.</p>
${
  may(res, "operator.retry-resource")
    ? html`<form method="post" action="/console/${kind}/${id}/retry" class="actions">${csrfField(s.csrf)}
  <button type="submit">Retry now</button>
  <span class="muted">Failed jobs get a fresh set of attempts; jobs waiting out a backoff are tried at once.</span>
</form>`
    : ""
}
<h2>State in each target</h2>
<div data-live="/console/live/${kind}/${id}" data-every="3000">${await statusSection(deps, type, id, provisionCsrf(res))}</div>
<h2>${type === "User" ? "Groups" : "Members"}</h2>
${
  view.relations?.length
    ? html`<ul>${view.relations.slice(0, 100).map((r) => html`<li>${r.type === "User" ? html`<a href="/console/users/${r.value}">${r.display ?? r.value}</a>` : html`<a href="/console/groups/${r.value}">${r.display ?? r.value}</a>`}</li>`)}</ul>
      ${view.relations.length > 100 ? html`<p class="muted">and ${view.relations.length - 100} more</p>` : ""}`
    : html`<p class="muted">None.</p>`
}
<h2>SCIM record</h2>
<pre>${JSON.stringify(record, null, 2)}</pre>
<h2>History</h2>
${history.length ? auditTable(history) : html`<p class="muted">No audit events.</p>`}
<p><a href="/console/${kind}/${id}/log" data-log>Provisioning log</a> · <a href="/console/audit${qs({ resource: id })}">All of its audit events</a></p>`,
      });
    });

    router.get(`/live/${kind}/:id`, async (req, res) => {
      const { type, id } = resourceOf(kind, req);
      const deleted = !!(await deletedNames(deps.sync.db, id));
      sendFragment(res, await statusSection(deps, type, id, provisionCsrf(res), deleted));
    });

    router.post(`/${kind}/:id/retry`, async (req, res) => {
      const { type, id } = resourceOf(kind, req);
      const woke = (await retryResource(deps.sync, consoleActor(req, res), type, id)).value;
      await deps.flash(
        res,
        woke.length
          ? `Retrying now in ${woke.join(", ")}.`
          : "Nothing to retry: no failed job and no job waiting out a backoff. Provision now sends it again anyway.",
      );
      res.redirect(303, `/console/${kind}/${id}`);
    });

    router.post(`/${kind}/:id/provision`, async (req, res) => {
      const { type, id } = resourceOf(kind, req);
      const target = param(req, "target", "body");
      if (!target) throw new BridgeError("SCIM_INVALID_VALUE", "Choose the target to provision into");
      const done = await provisionNow(deps.sync, consoleActor(req, res), type, id, target);
      const view = done.value.view;
      if (!done.value.queued) {
        await deps.flash(res, done.message ?? "Nothing was sent.");
        res.redirect(303, `/console/${kind}/${id}`);
        return;
      }
      await deps.waitForAttempt(id, [target], ON_DEMAND_WAIT_MS);
      const l = (await linksFor(deps.sync.db, [id], target))[0];
      await deps.flash(
        res,
        !l || l.state === "pending"
          ? `Provisioning ${nameOf(view)} into ${target} is still running${l?.errorCode ? ` (last error ${l.errorCode}: ${l.errorMessage})` : ""}; this page updates when it is done.`
          : l.state === "synced"
            ? `Provisioned ${nameOf(view)} into ${target}: synced${l.targetId ? `, target id ${l.targetId}` : ""}.`
            : `Provisioning ${nameOf(view)} into ${target} ${l.state}${l.errorCode ? `: ${l.errorCode} ${l.errorMessage}` : ""}.`,
      );
      // The attempt's steps: its delivery is audited under this request's id (the job carries it).
      const request = res.locals.requestId as string | undefined;
      res.redirect(303, request ? `/console/${kind}/${id}/log${qs({ request })}` : `/console/${kind}/${id}`);
    });
  }
}
