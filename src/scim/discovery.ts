// Discovery endpoints (/ServiceProviderConfig, /Schemas, /ResourceTypes) come from scimmy-routers: scimmy
// generates them from the declared schemas, so they always match what the server validates.
import { type Request, Router } from "express";
import SCIMMYRouters from "scimmy-routers";
import type { Directory } from "../directory/index.ts";
import { BridgeError } from "../errors.ts";
import { DEFAULT_PAGE } from "./list-query.ts";
import { declareScim } from "./schemas.ts";

export interface DiscoveryOptions {
  directory: Directory;
  baseUrl: (req: Request) => string;
  filterMaxResults?: number;
  bulkMaxOperations?: number;
  bulkMaxPayloadSize?: number;
  /** ServiceProviderConfig's authenticationSchemes: what this app's SCIM door accepts (scimmy's is process-wide). */
  authenticationSchemes?: Record<string, unknown>[];
}

let shared: Router | undefined;

/** scimmy-routers appends an auth scheme to the global config per instance, so one instance serves all apps. */
function scimmyRouter(): Router {
  if (!shared) {
    shared = new SCIMMYRouters({
      type: "bearer",
      docUri: "https://datatracker.ietf.org/doc/html/rfc6750",
      // Authentication already happened in our own middleware; this only names the caller for /Me.
      handler: (req: Request) => String(req.res?.locals.actor ?? ""),
      context: (req: Request) => ({ requestId: req.res?.locals.requestId }),
      baseUri: (req: Request) => String(req.res?.locals.scimBaseUrl ?? ""),
    }) as unknown as Router;
  }
  return shared;
}

export function discoveryRouter(opts: DiscoveryOptions): Router {
  const router = Router();
  const settings = {
    filterMaxResults: opts.filterMaxResults ?? 1000,
    ...(opts.bulkMaxOperations ? { bulkMaxOperations: opts.bulkMaxOperations } : {}),
    ...(opts.bulkMaxPayloadSize ? { bulkMaxPayloadSize: opts.bulkMaxPayloadSize } : {}),
  };
  declareScim(settings);
  const inner = scimmyRouter();
  // The router's constructor resets scimmy's global config; re-apply ours afterwards (reference/scimmy.md §3.7).
  declareScim(settings);
  const pagination = paginationConfig(settings.filterMaxResults);
  router.get(
    ["/ServiceProviderConfig", "/Schemas", "/Schemas/:id", "/ResourceTypes", "/ResourceTypes/:id"],
    (req, res, next) => {
      // scimmy appends the mount path (/scim/v2) itself; give it the origin only.
      res.locals.scimBaseUrl = opts.baseUrl(req).replace(/\/scim\/v2$/, "");
      // scimmy's config knows neither RFC 9865 `pagination` nor our credentials' schemes: added to what it renders.
      if (/^\/ServiceProviderConfig\/?$/i.test(req.path)) {
        const schemes = opts.authenticationSchemes;
        const send = res.send.bind(res);
        res.send = (body: unknown) =>
          send(
            body && typeof body === "object"
              ? {
                  ...JSON.parse(JSON.stringify(body)),
                  pagination,
                  ...(schemes ? { authenticationSchemes: schemes } : {}),
                }
              : body,
          );
      }
      inner(req, res, next);
    },
  );
  router.all("/Me", (req) => {
    throw new BridgeError("SCIM_NOT_IMPLEMENTED", `${req.path.slice(1)} is not supported by this server`);
  });
  return router;
}

/**
 * RFC 9865 §6: both paging methods; index stays the default, as clients written before cursors expect. Keyset
 * cursors do not expire (no cursorTimeout): a cursor names a position in the order, not state kept on the server.
 */
function paginationConfig(maxResults: number) {
  return {
    cursor: true,
    index: true,
    defaultPaginationMethod: "index",
    defaultPageSize: Math.min(DEFAULT_PAGE, maxResults),
    maxPageSize: maxResults,
  };
}
