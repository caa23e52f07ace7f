// Reads, for a claimed batch, everything planUnit decides from: whether the claim still holds, current bodies,
// tombstones, links, scope, groups, member links and queued passwords. A few set-based queries per batch, never one
// per unit.
import type { Logger } from "pino";
import {
  type ClaimedUnit,
  type Db,
  getResources,
  groupsOf,
  linkRows,
  memberLinks,
  type ResourceSchema,
  stillClaimed,
  tombstonesFor,
} from "../store/index.ts";
import { acceptsPasswords } from "../targets/target.ts";
import type { ConfiguredTarget } from "./configured-target.ts";
import type { UnitFacts } from "./plan.ts";
import { usersInScope } from "./scope.ts";
import type { SecretBox } from "./secrets.ts";

export async function gatherFacts(
  db: Db,
  t: ConfiguredTarget,
  userSchema: ResourceSchema,
  units: ClaimedUnit[],
  /** The batch's claim token. */
  token: string,
  secrets: SecretBox | undefined,
  logger: Logger,
): Promise<UnitFacts[]> {
  const userIds = units.filter((u) => u.resourceType === "User").map((u) => u.resourceId);
  const groupIds = units.filter((u) => u.resourceType === "Group").map((u) => u.resourceId);
  // Only what this target's delivery can use: a scope query only for a scoped target (otherwise a user that
  // exists is in scope), the users' groups only where its mapping has group rules.
  // A worker that stalled past its lease (a pause, a lost database connection) may have been taken over while it
  // read these facts: the claim is asked beside them (one round trip less per batch), so a claim lost before either
  // answer is seen. Fencing would only stop the outcome, not the write a stale fact makes.
  const [owned, users, groups, links, tombstones, scoped, userGroups, members] = await Promise.all([
    stillClaimed(
      db,
      token,
      units.flatMap((u) => u.jobs.map((j) => j.id)),
    ),
    getResources(db, "User", userIds),
    getResources(db, "Group", groupIds),
    linkRows(db, t.name, [...userIds, ...groupIds]),
    tombstonesFor(db, [...userIds, ...groupIds]),
    t.scope ? usersInScope(db, userSchema, t, userIds) : undefined,
    t.target.usesGroups === false ? new Map<string, { display: string }[]>() : groupsOf(db, userIds),
    memberLinks(db, t.name, groupIds),
  ]);
  const inScope = scoped ?? new Set(users.map((u) => u.id));
  const byId = new Map([...users, ...groups].map((r) => [r.id, r]));
  const linkOf = new Map(links.map((l) => [l.resourceId, l]));
  return units.map((unit): UnitFacts => {
    const id = unit.resourceId;
    const link = linkOf.get(id);
    const password = unit.resourceType === "User" ? openPassword(t, unit, secrets, logger) : undefined;
    const current = byId.get(id)?.data;
    const tombstone = tombstones.get(id)?.data;
    return {
      resourceType: unit.resourceType,
      resourceId: id,
      ...(unit.jobs.every((j) => owned.has(j.id)) ? {} : { claimLost: true }),
      ...(current ? { current } : {}),
      ...(tombstone ? { tombstone } : {}),
      ...(link
        ? {
            link: {
              targetId: link.targetId,
              deprovisioned: link.deprovisioned,
              ...(link.sent ? { sent: link.sent } : {}),
            },
          }
        : {}),
      ...(unit.resourceType === "User"
        ? { inScope: inScope.has(id), groups: (userGroups.get(id) ?? []).map((g) => g.display) }
        : {
            members: members.get(id) ?? { linked: [], waiting: 0 },
            queuedForMs: Date.now() - (unit.jobs[0]?.created.getTime() ?? Date.now()),
            ...(unit.jobs[0] ? { attempt: unit.jobs[0].attempts } : {}),
          }),
      ...(password ? { password } : {}),
    };
  });
}

function openPassword(
  t: ConfiguredTarget,
  unit: ClaimedUnit,
  secrets: SecretBox | undefined,
  logger: Logger,
): string | undefined {
  if (!acceptsPasswords(t.target) || !secrets) return undefined;
  const sealed = [...unit.jobs].reverse().find((j) => j.secret)?.secret;
  if (!sealed) return undefined;
  try {
    return secrets.open(sealed);
  } catch {
    logger.warn(
      { target: t.name, resourceId: unit.resourceId },
      "cannot decrypt a queued password (outbox key changed?); delivering without it",
    );
    return undefined;
  }
}
