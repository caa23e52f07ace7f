/** Users added and removed from a CSV file (3.15+), and the background jobs that report on them. */
import { badRequest, TableauApiError } from "./errors.ts";
import { isMultipart, parseMultipart } from "./multipart.ts";
import { asList, optString, type RequestContext, type Route } from "./router.ts";
import { jobView, runDelete, runImport } from "./user-import.ts";
import { type JsonObject, parseXml } from "./xml.ts";

/** The CSV calls arrived in REST API 3.15. */
const CSV_USERS_MIN_VERSION = 15;

/** Not verified [?]: the code Tableau gives an unknown job id. */
const jobNotFound = (id: string) =>
  new TableauApiError(404, "404031", "Resource Not Found", `Job '${id}' could not be found.`);

function csvPart(ctx: RequestContext, name: string): string {
  if (!isMultipart(ctx.contentType))
    throw badRequest(`This call takes a multipart request with a '${name}' part holding the CSV file.`);
  const parts = parseMultipart(ctx.raw, ctx.contentType);
  const csv = parts.get(name)?.body;
  if (csv === undefined || csv.trim() === "")
    throw badRequest(`The multipart request has no '${name}' part, or it is empty.`);
  ctx.parts = parts;
  return csv;
}

/** authSetting or idpConfigurationId per user name, from the request_payload part (XML tsRequest). */
function payloadAuth(ctx: RequestContext) {
  const auth = new Map<string, { authSetting?: string; idpConfigurationId?: string }>();
  const payload = ctx.parts?.get("request_payload")?.body;
  if (!payload?.trim()) return auth;
  let users: JsonObject[];
  try {
    const { root, body } = parseXml(payload);
    if (root !== "tsRequest") throw new Error(`root element is <${root}>, not <tsRequest>`);
    users = asList(body.user);
  } catch (e) {
    throw badRequest(`The request_payload part is malformed: ${(e as Error).message}.`);
  }
  for (const u of users) {
    const name = optString(u, "name");
    if (!name) throw badRequest("A user element of request_payload has no name.");
    const authSetting = optString(u, "authSetting");
    const idpConfigurationId = optString(u, "idpConfigurationId");
    if (authSetting && idpConfigurationId)
      throw badRequest(`User '${name}' has both authSetting and idpConfigurationId; give one of them.`);
    auth.set(name.toLowerCase(), {
      ...(authSetting ? { authSetting } : {}),
      ...(idpConfigurationId ? { idpConfigurationId } : {}),
    });
  }
  return auth;
}

export const jobRoutes: Route[] = [
  {
    method: "POST",
    path: "/sites/:siteId/users/import",
    auth: true,
    scopes: ["tableau:users:create"],
    minVersion: CSV_USERS_MIN_VERSION,
    handler: (ctx) => {
      const csv = csvPart(ctx, "tableau_user_import");
      const site = ctx.site!;
      const job = runImport(site, csv, {
        auth: payloadAuth(ctx),
        ignoreDisplayName: ctx.opts.edition === "cloud",
        now: ctx.opts.now(),
        msPerRow: ctx.opts.csvJobMsPerRow,
      });
      site.jobs.set(job.id, job);
      return { status: 200, body: { job: jobView(job, ctx.opts.now(), true) } };
    },
  },
  {
    method: "POST",
    path: "/sites/:siteId/users/delete",
    auth: true,
    scopes: ["tableau:users:delete"],
    minVersion: CSV_USERS_MIN_VERSION,
    handler: (ctx) => {
      const csv = csvPart(ctx, "tableau_user_delete");
      const site = ctx.site!;
      const job = runDelete(site, csv, {
        now: ctx.opts.now(),
        msPerRow: ctx.opts.csvJobMsPerRow,
        selfId: ctx.session?.userId ?? "",
      });
      site.jobs.set(job.id, job);
      // Not verified [?]: what the delete call answers (TSC ignores the body); a job, like the import.
      return { status: 200, body: { job: jobView(job, ctx.opts.now(), true) } };
    },
  },
  {
    method: "GET",
    path: "/sites/:siteId/jobs/:jobId",
    auth: true,
    scopes: ["tableau:jobs:read"],
    handler: (ctx) => {
      const job = ctx.site!.jobs.get(ctx.params.jobId ?? "");
      if (!job) throw jobNotFound(ctx.params.jobId ?? "");
      return { status: 200, body: { job: jobView(job, ctx.opts.now()) } };
    },
  },
];
