// A user's or group's provisioning log (/console/users/:id/log, /console/groups/:id/log), also once deleted: each
// request newest first (the IdP's write with its credential and request id, or an operator's action), the change
// stored, then per target the pre-flight, the match, the action, the result with the target's code and message, and
// what to do. `?request=` shows one request's steps: the page "provision now" answers with.
import type { Request, Response, Router } from "express";
import { BridgeError } from "../../errors.ts";
import { deletedNames, isResourceId, type ResourceType } from "../../store/index.ts";
import { nameOf } from "../../sync/actions/index.ts";
import { type LogAttempt, type LogOrigin, type LogRequest, readPersonLog } from "../person-log.ts";
import { type ConsoleDeps, param, sendPage } from "./context.ts";
import { empty, type Html, html, time } from "./html.ts";
import { beforeParam, pagingLinks } from "./log-page.ts";

const KINDS: Record<string, ResourceType> = { users: "User", groups: "Group" };

const outcomeBadge = (o: string) =>
  html`<span class="badge state-${o === "retry" ? "pending" : o}" data-outcome="${o}">${o}</span>`;

/** A user's userName or a group's displayName, live or deleted; undefined when the store never held the id. */
async function nameFor(deps: ConsoleDeps, type: ResourceType, id: string) {
  const live = await deps.sync.directory.get(type, id, { relations: false }).catch(() => undefined);
  if (live) return { name: nameOf(live), deleted: false };
  const d = await deletedNames(deps.sync.db, id);
  if (d?.type !== type) return undefined;
  return { name: (type === "User" ? d.userName : d.displayName) ?? d.displayName ?? id, deleted: true };
}

function detailText(detail: unknown): string {
  if (detail === null || detail === undefined) return "";
  if (typeof detail === "object" && "detail" in (detail as object))
    return String((detail as { detail: unknown }).detail);
  return JSON.stringify(detail);
}

function originStep(o: LogOrigin, requestId: string | null): Html {
  const idp = o.action.startsWith("scim.");
  const change = o.action.replace(/^scim\.(user|group)\./, "");
  return html`<li data-step="request">${idp ? "IdP request" : "Request"}: <strong>${o.action}</strong>
by ${idp ? "credential " : ""}<code data-actor>${o.actor ?? "—"}</code>${o.source ? html` from ${o.source}` : ""}${
    requestId ? html`, request id <code data-request-id>${requestId}</code>` : ""
  }, ${time(o.at)}</li>
${
  idp
    ? html`<li data-step="stored">Stored: ${change} ${outcomeBadge(o.outcome)} ${detailText(o.detail)}</li>`
    : html`<li data-step="outcome">Outcome: ${outcomeBadge(o.outcome)} ${detailText(o.detail)}</li>`
}`;
}

function matchText(a: LogAttempt): Html | string {
  if (!a.match) return a.preflight === "failed" ? "not looked for: the pre-flight refused the change" : "—";
  const id = (v: string | null) => (v ? html` <code data-target-id>${v}</code>` : "");
  if (a.match.by === "none")
    return a.action === "create" && a.match.targetId
      ? html`no account found; created account${id(a.match.targetId)}`
      : "no account found";
  return a.match.by === "link"
    ? html`linked account${id(a.match.targetId)} (found by its id)`
    : html`correlation key <strong data-match-key>${a.match.by}</strong> found account${id(a.match.targetId)}`;
}

function attemptSteps(a: LogAttempt): Html {
  return html`<ol class="log-steps" data-attempt="${a.auditId}">
<li data-step="preflight">Pre-flight: ${
    a.preflight === "failed"
      ? html`${outcomeBadge("failed")} fix ${a.fields.join(", ") || "the values named below"}`
      : a.preflight === "skipped"
        ? "not judged (a deactivation always goes through)"
        : (a.preflight ?? "none for this target")
  }</li>
<li data-step="match">Match: ${matchText(a)}</li>
<li data-step="action">Action: ${a.action ?? a.operation ?? "—"}</li>
<li data-step="result">Result: ${outcomeBadge(a.outcome)} ${time(a.at)} ${
    a.code ? html`<code data-error-code>${a.code}</code> ${a.message}` : a.detail
  }</li>
${a.whatToDo ? html`<li data-step="what-to-do">What to do: ${a.whatToDo}</li>` : ""}
</ol>`;
}

export function requestSteps(r: LogRequest): Html {
  return html`<section class="log-request" data-request="${r.requestId ?? ""}">
<h2>${time(r.at)} ${r.origins[0]?.action ?? "delivery"}</h2>
<ol class="log-steps">${r.origins.map((o) => originStep(o, r.requestId))}
${
  !r.origins.length && r.requestId
    ? html`<li data-step="request">Request id <code data-request-id>${r.requestId}</code> (its write is on an older page or was not recorded)</li>`
    : ""
}
${r.targets.map(
  (t) =>
    html`<li data-step="target" data-target="${t.target}"><strong>${t.target}</strong>${t.attempts.map(attemptSteps)}</li>`,
)}
${r.origins.length && !r.targets.length ? html`<li class="muted">No target has recorded an attempt for it yet.</li>` : ""}
</ol></section>`;
}

async function sendLog(deps: ConsoleDeps, req: Request, res: Response, kind: string) {
  const type = KINDS[kind]!;
  const id = String(req.params.id);
  if (!isResourceId(id)) throw new BridgeError("SCIM_NOT_FOUND", `${id} is not a resource id (a UUID)`);
  const who = await nameFor(deps, type, id);
  if (!who) throw new BridgeError("SCIM_NOT_FOUND", `${type} ${id} not found`);
  const before = beforeParam(req, "an audit event id");
  const requestId = param(req, "request");
  const log = await readPersonLog(deps.sync.db, id, { before, requestId });
  const here = `/console/${kind}/${id}/log`;
  sendPage(res, {
    title: `${who.name}: provisioning log`,
    nav: "find",
    body: html`<h1>Provisioning log of <a href="/console/${kind}/${id}">${who.name}</a>${
      who.deleted ? html` <span class="badge" data-deleted>deleted</span>` : ""
    }</h1>
<p class="muted">${
      requestId
        ? html`The steps of request <code>${requestId}</code>. <a href="${here}">The whole log</a>`
        : "Newest first: each request (the IdP's write, or an admin's action), the change stored, and what each target did with it."
    }</p>
${
  log.requests.length
    ? log.requests.map(requestSteps)
    : empty(
        before ? "No older events." : "Nothing recorded yet.",
        requestId
          ? "The delivery may still be running: reload in a moment."
          : "Events appear as SCIM writes are accepted and delivered.",
      )
}
${pagingLinks(here, { request: requestId }, before, log.older)}`,
  });
}

export function personLogRoutes(router: Router, deps: ConsoleDeps) {
  for (const kind of Object.keys(KINDS))
    router.get(`/${kind}/:id/log`, (req, res) => sendLog(deps, req, res, kind));
}
