// The "doctor" for a Salesforce target: can we log in, use the API, create users and read profiles,
// and do the profiles and permission sets the mapping names exist? Each failure says what to do.
import type { CheckResult } from "../target.ts";
import { authFlow } from "./auth.ts";
import type { SalesforceContext } from "./context.ts";
import { ruleManagedNames } from "./permissions.ts";

const message = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

function loginFix(ctx: SalesforceContext): string {
  switch (authFlow(ctx.config)) {
    case "password":
      return "check the connected app's consumer key and secret, the username, the password and the security token (Settings → Reset My Security Token), and that the app allows the OAuth username-password flow";
    case "clientCredentials":
      return "enable the client credentials flow on the connected app, choose its 'Run As' user, and use the org's My Domain URL as instanceUrl (the token endpoint)";
    default:
      return "upload the certificate of the private key to the connected app, pre-authorize the user's profile or permission set (Admin approved users are pre-authorized), and use https://test.salesforce.com as loginUrl for sandboxes";
  }
}

/** Profile names and permission sets the mapping refers to, for a check that they exist. */
function namedInMapping(ctx: SalesforceContext): { profiles: string[]; permissionSets: string[] } {
  const profiles = ctx.mapping.groupRules.flatMap((r) =>
    typeof r.set.ProfileId === "string" ? [r.set.ProfileId] : [],
  );
  const constant = ctx.mapping.fields.ProfileId;
  if (constant && typeof constant === "object" && "const" in constant && typeof constant.const === "string")
    profiles.push(constant.const);
  return {
    profiles: [...new Set(profiles)],
    permissionSets: ruleManagedNames(ctx.mapping.groupRules, "permissionSets"),
  };
}

export async function checkTarget(ctx: SalesforceContext): Promise<CheckResult[]> {
  const { client } = ctx;
  const results: CheckResult[] = [];
  try {
    await client.session.ensureLoggedIn();
    const info = client.session.conn.userInfo;
    results.push({
      check: "login",
      ok: true,
      detail: `logged in with ${authFlow(ctx.config)} as user ${info?.id ?? "?"} of org ${info?.organizationId ?? "?"} (${client.session.conn.instanceUrl})`,
    });
  } catch (e) {
    results.push({ check: "login", ok: false, detail: message(e), fix: loginFix(ctx) });
    return results;
  }
  const step = async (check: string, fix: string, run: () => Promise<{ ok: boolean; detail: string }>) => {
    try {
      const r = await run();
      results.push({ check, ...r, ...(r.ok ? {} : { fix }) });
    } catch (e) {
      results.push({ check, ok: false, detail: message(e), fix });
    }
  };
  await step(
    "api access",
    "give the integration user's profile or a permission set 'API Enabled'",
    async () => {
      const limits = await client.request<Record<string, { Max: number; Remaining: number }>>(
        "GET",
        "/limits",
        undefined,
        { budgeted: false },
      );
      const daily = limits.DailyApiRequests;
      if (!daily) return { ok: true, detail: "REST API reachable" };
      const ok = daily.Remaining > daily.Max * (1 - ctx.config.budget.maxUsage);
      return {
        ok,
        detail: `${daily.Remaining} of ${daily.Max} daily API requests left${ok ? "" : " — provisioning is parked until more are available"}`,
      };
    },
  );
  await step(
    "create users",
    "give the integration user 'Manage Users' (and 'View Setup and Configuration')",
    async () => {
      const describe = await client.request<{ createable: boolean; updateable: boolean }>(
        "GET",
        "/sobjects/User/describe",
        undefined,
        { budgeted: false },
      );
      return {
        ok: describe.createable && describe.updateable,
        detail: `User createable=${describe.createable}, updateable=${describe.updateable}`,
      };
    },
  );
  await step(
    "read profiles",
    "give the integration user 'View Setup and Configuration' so it can read Profiles",
    async () => {
      const page = await client.request<{ totalSize: number }>(
        "GET",
        `/query?q=${encodeURIComponent("SELECT Id, Name FROM Profile")}`,
        undefined,
        { budgeted: false },
      );
      return { ok: page.totalSize > 0, detail: `${page.totalSize} profiles visible` };
    },
  );
  const named = namedInMapping(ctx);
  if (named.profiles.length + named.permissionSets.length > 0) {
    await step(
      "mapping references",
      "create the missing profiles or permission sets, or correct their names in the mapping",
      async () => {
        const profiles = await ctx.profiles.resolve(named.profiles);
        const sets = await ctx.permissionSets.resolve(named.permissionSets);
        const missing = [
          ...named.profiles.filter((n) => !profiles.has(n.toLowerCase())).map((n) => `profile "${n}"`),
          ...named.permissionSets
            .filter((n) => !sets.has(n.toLowerCase()))
            .map((n) => `permission set "${n}"`),
        ];
        return missing.length
          ? { ok: false, detail: `not found in Salesforce: ${missing.join(", ")}` }
          : {
              ok: true,
              detail: `${named.profiles.length} profiles and ${named.permissionSets.length} permission sets found`,
            };
      },
    );
  }
  return results;
}
