// Reading the org for reconcile and import: users and public groups, page by page as Salesforce
// returns them (2,000 records per query batch), never the whole org in memory.
import type { TargetAccount, TargetGroup } from "../target.ts";
import type { SalesforceContext } from "./context.ts";

const USER_FIELDS = [
  "Id",
  "Username",
  "Email",
  "FederationIdentifier",
  "FirstName",
  "LastName",
  "Alias",
  "IsActive",
  "ProfileId",
  "Title",
  "Department",
  "Phone",
  "ManagerId",
  "TimeZoneSidKey",
  "LocaleSidKey",
  "EmailEncodingKey",
  "LanguageLocaleKey",
  "CommunityNickname",
];

type Row = { Id: string; attributes?: unknown } & Record<string, unknown>;

/** Standard users only: partner, community and Chatter-external users are not provisioned by SCIM here. */
export async function* listUsers(ctx: SalesforceContext): AsyncGenerator<TargetAccount[]> {
  const soql = `SELECT ${USER_FIELDS.join(", ")} FROM User WHERE UserType IN ('Standard', 'CsnOnly') ORDER BY Id`;
  for await (const rows of ctx.client.queryPages<Row>(soql)) {
    yield rows.map(({ attributes: _, ...fields }) => ({
      targetId: fields.Id,
      key: String(fields.Username),
      active: fields.IsActive === true,
      fields,
    }));
  }
}

export async function* listGroups(ctx: SalesforceContext): AsyncGenerator<TargetGroup[]> {
  const soql = "SELECT Id, Name FROM Group WHERE Type = 'Regular' ORDER BY Id";
  for await (const rows of ctx.client.queryPages<{ Id: string; Name: string }>(soql)) {
    if (rows.length === 0) continue;
    const members = await ctx.client.queryIn<{ GroupId: string; UserOrGroupId: string }>(
      "SELECT GroupId, UserOrGroupId FROM GroupMember WHERE GroupId IN {IN}",
      rows.map((r) => r.Id),
    );
    yield rows.map((r) => ({
      targetId: r.Id,
      displayName: r.Name,
      memberTargetIds: members
        .filter((m) => m.GroupId.slice(0, 15) === r.Id.slice(0, 15))
        .map((m) => m.UserOrGroupId),
    }));
  }
}
