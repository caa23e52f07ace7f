// What every console page gets: the bridge's parts it reads and acts on, and helpers to answer with a page.
import type { Request, Response } from "express";
import { BridgeError } from "../../errors.ts";
import { mayAct, type OperatorAction } from "../../sync/actions/index.ts";
import type { SyncDeps } from "../../sync/reconcile/index.ts";
import type { TargetHealth } from "../target-health.ts";
import { type Html, layout, type Page } from "./html.ts";
import type { SessionLocals } from "./session.ts";

export interface ConsoleDeps {
  /** The same dependencies reconcile and import use on the admin API (store, directory, targets, breaker, kick). */
  sync: SyncDeps;
  health: TargetHealth;
  /** Resolves once the dispatcher has attempted the resource in the targets (or the timeout passed). */
  waitForAttempt(resourceId: string, targets: string[], timeoutMs: number): Promise<void>;
  deprovisionUnmanaged: boolean;
}

export const session = (res: Response) => res.locals.session as SessionLocals;

/** Whether the signed-in operator's role allows the action: the console shows only the buttons that do. */
export const may = (res: Response, action: OperatorAction) => mayAct(session(res).role, action);

/** Answers with a full page, in the layout, for the signed-in admin. */
export function sendPage(res: Response, page: Omit<Page, "actor" | "csrf" | "flash">) {
  const s = session(res);
  res
    .type("html")
    .setHeader("Cache-Control", "no-store")
    .send(layout({ ...page, actor: `${s.actor} (${s.role})`, csrf: s.csrf, flash: s.flash }));
}

/** Answers a live region's poll with just its content. */
export function sendFragment(res: Response, body: Html) {
  res.type("html").setHeader("Cache-Control", "no-store").send(body.value);
}

/** An optional single-valued query or form parameter, trimmed ("" = absent). */
export function param(req: Request, name: string, from: "query" | "body" = "query"): string | undefined {
  const source = (from === "query" ? req.query : req.body) as Record<string, unknown> | undefined;
  const v = source?.[name];
  if (v === undefined) return undefined;
  if (typeof v !== "string")
    throw new BridgeError("SCIM_INVALID_VALUE", `${name} must be given once, as text`);
  const t = v.trim();
  return t === "" ? undefined : t;
}

/** A target name from a parameter, which must be one of the configured targets. */
export function targetParam(
  deps: ConsoleDeps,
  req: Request,
  name: string,
  from: "query" | "body" = "query",
): string | undefined {
  const v = param(req, name, from);
  if (v !== undefined && !deps.sync.targets.some((t) => t.name === v))
    throw new BridgeError(
      "SCIM_INVALID_VALUE",
      `There is no target named "${v}"; the targets are ${deps.sync.targets.map((t) => t.name).join(", ") || "(none configured)"}`,
    );
  return v;
}
