import { siteNotFound } from "./errors.ts";
import type { LicenceTier } from "./options.ts";
import { type SiteSnapshot, TableauSite } from "./site.ts";

/** Everything the emulated Tableau Server holds: its sites by LUID and by contentUrl. */
export class TableauServerState {
  readonly sites = new Map<string, TableauSite>();
  private readonly byContentUrl = new Map<string, TableauSite>();

  constructor(contentUrls: string[], adminName: string, licences: Partial<Record<LicenceTier, number>>) {
    for (const contentUrl of contentUrls) {
      if (this.byContentUrl.has(contentUrl)) continue;
      const site = new TableauSite(contentUrl, { ...licences });
      // Every site has the administrator whose PAT the emulator accepts; its licence counts like any other.
      const admin = site.addUser({
        name: adminName,
        siteRole: "SiteAdministratorCreator",
        authSetting: "ServerDefault",
      });
      if (admin.siteRole !== "SiteAdministratorCreator") site.forceRole(admin.id, "SiteAdministratorCreator");
      this.sites.set(site.id, site);
      this.byContentUrl.set(contentUrl, site);
    }
  }

  snapshot(): SiteSnapshot[] {
    return [...this.sites.values()].map((s) => s.snapshot());
  }

  /** Carries on from an earlier run: each saved site replaces the configured site of that contentUrl. */
  restore(saved: SiteSnapshot[]): void {
    for (const s of saved) {
      const site = this.findSite(s.contentUrl);
      if (!site) continue;
      this.sites.delete(site.id);
      site.restore(s);
      this.sites.set(site.id, site);
    }
  }

  /** The site with this contentUrl ("" = Default); case-insensitive like Tableau's URLs. */
  site(contentUrl = ""): TableauSite {
    const s =
      this.byContentUrl.get(contentUrl) ??
      [...this.byContentUrl.values()].find((x) => x.contentUrl.toLowerCase() === contentUrl.toLowerCase());
    if (!s) throw siteNotFound(contentUrl);
    return s;
  }

  findSite(contentUrl: string): TableauSite | undefined {
    try {
      return this.site(contentUrl);
    } catch {
      return undefined;
    }
  }

  siteById(id: string): TableauSite {
    const s = this.sites.get(id);
    if (!s) throw siteNotFound(id);
    return s;
  }
}
