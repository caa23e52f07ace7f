// Name → Id lookups for Profiles, Permission Sets and public Groups. Mappings name them ("Standard
// User", "Sales_Cloud_User"); Salesforce wants Ids. They rarely change, so one query serves many
// batches, and an unknown name reloads the list (at most once a minute) in case an admin just added it.
import type { SalesforceClient } from "./client.ts";

const RELOAD_AFTER_MISS_MS = 60_000;

export interface NameLookup {
  /** Id per requested name or Id (case-insensitive); names that exist nowhere are left out. */
  resolve(names: Iterable<string>): Promise<Map<string, string>>;
  /** Forgets everything, e.g. after this target created a record of this type. */
  invalidate(): void;
}

type Row = { Id: string } & Record<string, unknown>;

export function nameLookup(
  client: SalesforceClient,
  soql: string,
  keys: readonly string[],
  now: () => number = Date.now,
): NameLookup {
  let byKey: Map<string, string> | undefined;
  let loading: Promise<Map<string, string>> | undefined;
  let loadedAt = 0;
  const load = () => {
    loading ??= client
      .queryAll<Row>(soql)
      .then((rows) => {
        const map = new Map<string, string>();
        for (const row of rows) {
          map.set(row.Id.toLowerCase(), row.Id);
          map.set(row.Id.slice(0, 15).toLowerCase(), row.Id);
          for (const key of keys) {
            const v = row[key];
            if (typeof v === "string" && !map.has(v.toLowerCase())) map.set(v.toLowerCase(), row.Id);
          }
        }
        byKey = map;
        loadedAt = now();
        return map;
      })
      .finally(() => {
        loading = undefined;
      });
    return loading;
  };
  return {
    async resolve(names) {
      const wanted = [...new Set([...names].map((n) => n.trim()).filter(Boolean))];
      let map = byKey ?? (await load());
      if (wanted.some((n) => !map.has(n.toLowerCase())) && now() - loadedAt > RELOAD_AFTER_MISS_MS)
        map = await load();
      const out = new Map<string, string>();
      for (const name of wanted) {
        const id = map.get(name.toLowerCase());
        if (id) out.set(name.toLowerCase(), id);
      }
      return out;
    },
    invalidate() {
      byKey = undefined;
    },
  };
}

export function standardLookups(client: SalesforceClient, now?: () => number) {
  return {
    profiles: nameLookup(client, "SELECT Id, Name FROM Profile", ["Name"], now),
    // Each profile owns a hidden permission set; only the assignable ones count.
    permissionSets: nameLookup(
      client,
      "SELECT Id, Name, Label FROM PermissionSet WHERE IsOwnedByProfile = false",
      ["Name", "Label"],
      now,
    ),
    publicGroups: nameLookup(
      client,
      "SELECT Id, Name, DeveloperName FROM Group WHERE Type = 'Regular'",
      ["DeveloperName", "Name"],
      now,
    ),
  };
}
