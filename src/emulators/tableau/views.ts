/** Tableau's resource shapes. Every number is a string, as in Tableau's JSON. */
import { type FieldSelection, type Page, parseFields, slicePage } from "./query.ts";
import type { RequestContext } from "./router.ts";
import type { SiteGroup, SiteUser, TableauSite } from "./site.ts";
import type { JsonObject } from "./xml.ts";

const DEFAULT_USER_FIELDS = [
  "id",
  "name",
  "siteRole",
  "lastLogin",
  "externalAuthUserId",
  "fullName",
  "email",
  "authSetting",
  "locale",
  "language",
] as const;

function userField(u: SiteUser, f: string): JsonObject[string] {
  switch (f) {
    case "domainName":
    case "domain":
      return { name: u.domainName };
    case "lastLogin":
      return u.lastLogin;
    default:
      return (u as unknown as Record<string, string | undefined>)[f];
  }
}

export function userView(u: SiteUser, sel?: FieldSelection): JsonObject {
  const out: JsonObject = {};
  const wanted: string[] = [];
  if (!sel || sel.all || sel.defaults) wanted.push(...DEFAULT_USER_FIELDS);
  if (!sel || sel.all) wanted.push("domain");
  if (sel) for (const f of sel.extra) if (!wanted.includes(f)) wanted.push(f);
  for (const f of wanted) {
    const v = userField(u, f);
    if (v !== undefined) out[f === "domainName" ? "domain" : f] = v;
  }
  return out;
}

/** The short user element Tableau returns from add-member calls. */
export function memberView(u: SiteUser): JsonObject {
  return { id: u.id, name: u.name, siteRole: u.siteRole };
}

export function groupView(site: TableauSite, g: SiteGroup, sel?: FieldSelection): JsonObject {
  const full: JsonObject = {
    id: g.id,
    name: g.name,
    minimumSiteRole: g.minimumSiteRole,
    grantLicenseMode: g.grantLicenseMode,
    userCount: String(site.memberCount(g)),
    domain: { name: g.domainName },
  };
  const wanted = new Set<string>();
  if (!sel || sel.all || sel.defaults)
    for (const k of ["id", "name", "minimumSiteRole", "grantLicenseMode", "domain"]) wanted.add(k);
  if (sel?.all) wanted.add("userCount");
  if (sel) for (const f of sel.extra) wanted.add(f === "domainName" ? "domain" : f);
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(full)) if (wanted.has(k) && v !== undefined) out[k] = v;
  return out;
}

export function siteView(site: TableauSite): JsonObject {
  return {
    id: site.id,
    name: site.name,
    contentUrl: site.contentUrl,
    adminMode: "ContentAndUsers",
    state: "Active",
  };
}

/** `{"pagination":{…},"users":{"user":[…]}}`; an empty list is `{"user":[]}` or `{}` by option. */
export function collection(
  plural: string,
  singular: string,
  items: JsonObject[],
  page: Page,
  total: number,
  emptyAsObject: boolean,
): JsonObject {
  return {
    pagination: {
      pageNumber: String(page.pageNumber),
      pageSize: String(page.pageSize),
      totalAvailable: String(total),
    },
    [plural]: items.length === 0 && emptyAsObject ? {} : { [singular]: items },
  };
}

/** One page of a listing as a 200 answer, each item shown with the request's `?fields=` selection. */
export function pageAnswer<T>(
  ctx: RequestContext,
  plural: "users" | "groups",
  all: T[],
  page: Page,
  view: (item: T, sel: FieldSelection) => JsonObject,
) {
  const sel = parseFields(ctx.query.get("fields"));
  const items = slicePage(all, page).map((x) => view(x, sel));
  const singular = plural === "users" ? "user" : "group";
  return {
    status: 200,
    body: collection(plural, singular, items, page, all.length, ctx.opts.emptyCollection === "object"),
  };
}
