// Shared set-up for the Tableau target tests: an emulator, a target configured for it, SCIM users.
import type { RunningTableauEmulator } from "../../src/emulators/tableau/index.ts";
import { TableauTargetConfig, type TableauTargetConfigInput } from "../../src/targets/tableau/index.ts";
import type { DesiredGroup, DesiredUser, Operation } from "../../src/targets/target.ts";

export const TABLEAU_EXT = "urn:ietf:params:scim:schemas:extension:tableau:3.0:User";

type ConfigOverrides = Partial<Omit<TableauTargetConfigInput, "name" | "kind" | "serverUrl">>;

/** A target config pointed at the emulator, signing in with the emulator's PAT unless told otherwise. */
export function emulatorConfig(e: RunningTableauEmulator, over: ConfigOverrides = {}): TableauTargetConfig {
  return TableauTargetConfig.parse({
    name: "tableau-test",
    kind: "tableau",
    serverUrl: e.url,
    auth: { pat: { name: e.options.patName, secret: e.options.patSecret } },
    timeoutMs: 5_000,
    ...over,
  });
}

export function jwtAuth(e: RunningTableauEmulator, scopes?: string[], username = e.options.adminName) {
  return {
    jwt: {
      clientId: e.options.clientId,
      secretId: e.options.secretId,
      secretValue: e.options.secretValue,
      username,
      ...(scopes ? { scopes } : {}),
    },
  };
}

let seq = 0;

export function scimUser(
  userName: string,
  opts: { groups?: string[]; active?: boolean; data?: Record<string, unknown> } = {},
): DesiredUser {
  const active = opts.active ?? true;
  return {
    scimId: `scim-${++seq}`,
    active,
    groups: opts.groups ?? [],
    data: {
      userName,
      name: { givenName: "Test", familyName: userName.split("@")[0] },
      emails: [{ value: userName, primary: true }],
      active,
      ...opts.data,
    },
  };
}

export const upsertUser = (user: DesiredUser, targetId?: string): Operation => ({
  kind: "user.upsert",
  key: user.scimId,
  user,
  ...(targetId ? { targetId } : {}),
});

export const deprovision = (targetId: string): Operation => ({
  kind: "user.deprovision",
  key: targetId,
  targetId,
});

export function scimGroup(displayName: string, memberTargetIds: string[]): DesiredGroup {
  return { scimId: `g-${++seq}`, displayName, memberTargetIds };
}

export const upsertGroup = (group: DesiredGroup, targetId?: string): Operation => ({
  kind: "group.upsert",
  key: group.scimId,
  group,
  ...(targetId ? { targetId } : {}),
});

/** Calls per emulator route since the last reset, without zero entries. */
export function callsByRoute(e: RunningTableauEmulator): Record<string, number> {
  return Object.fromEntries(Object.entries(e.stats.byRoute).filter(([, n]) => n > 0));
}

export function targetIdOf(outcome: { status: string; targetId?: string } | undefined): string {
  if (outcome?.status !== "done" || !outcome.targetId)
    throw new Error(`not done: ${JSON.stringify(outcome)}`);
  return outcome.targetId;
}
