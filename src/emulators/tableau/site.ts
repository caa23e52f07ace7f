import { randomUUID } from "node:crypto";
import {
  alreadyMember,
  badRequest,
  forbidden,
  groupNameConflict,
  groupNotFound,
  invalidAuthSetting,
  invalidSiteRole,
  licensingConflict,
  userNameConflict,
  userNotFound,
  userOwnsContent,
} from "./errors.ts";
import type { LicenceTier } from "./options.ts";
import { isAuthSetting, isWritableSiteRole, licenceTierOf, roleRank } from "./roles.ts";
import type { SiteJob } from "./user-import.ts";

export interface SiteUser {
  id: string;
  name: string;
  siteRole: string;
  authSetting: string;
  fullName: string;
  email: string;
  /** ISO timestamp of the last sign-in; absent until the user signs in. */
  lastLogin?: string;
  externalAuthUserId: string;
  locale: string;
  language: string;
  domainName: string;
  /** Workbooks, data sources… the user owns; removing such a user fails with 409003. */
  ownedContent: number;
}

export interface SiteGroup {
  id: string;
  name: string;
  domainName: string;
  minimumSiteRole?: string;
  grantLicenseMode?: string;
  /** The built-in "All Users" group: every user is in it, it cannot be deleted. */
  builtIn: boolean;
  members: Set<string>;
}

export interface NewUser {
  name: string;
  siteRole: string;
  authSetting?: string;
  fullName?: string;
  email?: string;
}

export const ALL_USERS = "All Users";

/** A site as JSON: what the demo mode keeps in its data directory across restarts. */
export interface SiteSnapshot {
  id: string;
  contentUrl: string;
  users: SiteUser[];
  groups: (Omit<SiteGroup, "members"> & { members: string[] })[];
}

/** One Tableau site: its users, groups, memberships and licence pool. Indexes keep 10k-user sites fast. */
export class TableauSite {
  id: string = randomUUID();
  readonly contentUrl: string;
  readonly name: string;
  readonly users = new Map<string, SiteUser>();
  readonly groups = new Map<string, SiteGroup>();
  /** CSV import and delete jobs by id. */
  readonly jobs = new Map<string, SiteJob>();
  /** Licence capacity per tier; a missing tier is unlimited. */
  capacity: Partial<Record<LicenceTier, number>>;
  private readonly userByName = new Map<string, SiteUser>();
  private readonly groupByName = new Map<string, SiteGroup>();
  private readonly groupsOfUser = new Map<string, Set<string>>();
  private readonly used: Record<LicenceTier, number> = { Creator: 0, Explorer: 0, Viewer: 0 };
  readonly allUsers: SiteGroup;

  constructor(contentUrl: string, capacity: Partial<Record<LicenceTier, number>> = {}) {
    this.contentUrl = contentUrl;
    this.name = contentUrl === "" ? "Default" : contentUrl;
    this.capacity = capacity;
    this.allUsers = this.insertGroup({ name: ALL_USERS, builtIn: true });
  }

  snapshot(): SiteSnapshot {
    return {
      id: this.id,
      contentUrl: this.contentUrl,
      users: [...this.users.values()].map((u) => ({ ...u })),
      groups: [...this.groups.values()].map((g) => ({ ...g, members: [...g.members] })),
    };
  }

  /** Replaces everything on the site with a snapshot's users, groups and memberships (ids kept). */
  restore(saved: SiteSnapshot): void {
    this.id = saved.id;
    for (const map of [this.users, this.groups, this.userByName, this.groupByName, this.groupsOfUser])
      map.clear();
    for (const tier of Object.keys(this.used) as LicenceTier[]) this.used[tier] = 0;
    for (const u of saved.users) {
      const user = { ...u, siteRole: "Unlicensed" };
      this.users.set(user.id, user);
      this.userByName.set(user.name.toLowerCase(), user);
      this.groupsOfUser.set(user.id, new Set());
      this.assignRole(user, u.siteRole);
    }
    for (const g of saved.groups) {
      const group: SiteGroup = { ...g, members: new Set(g.members) };
      this.groups.set(group.id, group);
      this.groupByName.set(group.name.toLowerCase(), group);
      if (group.builtIn) (this as { allUsers: SiteGroup }).allUsers = group;
      for (const uid of group.members) this.groupsOfUser.get(uid)?.add(group.id);
    }
  }

  // ---- users ----

  user(id: string): SiteUser {
    const u = this.users.get(id);
    if (!u) throw userNotFound(id);
    return u;
  }

  userByNameCi(name: string): SiteUser | undefined {
    return this.userByName.get(name.toLowerCase());
  }

  /** Adds a user; with no free licence for the role the user lands Unlicensed, as Tableau does. */
  addUser(input: NewUser): SiteUser {
    if (!input.name) throw badRequest("The user name is missing.");
    if (!isWritableSiteRole(input.siteRole)) throw invalidSiteRoleError(input.siteRole);
    if (input.authSetting !== undefined && !isAuthSetting(input.authSetting))
      throw invalidAuthSetting(`Invalid authSetting '${input.authSetting}'.`);
    if (this.userByName.has(input.name.toLowerCase()))
      throw userNameConflict(`User '${input.name}' already exists on the site.`);
    const user: SiteUser = {
      id: randomUUID(),
      name: input.name,
      siteRole: "Unlicensed",
      authSetting: input.authSetting ?? "ServerDefault",
      fullName: input.fullName ?? "",
      email: input.email ?? "",
      externalAuthUserId: "",
      locale: "",
      language: "en",
      domainName: "local",
      ownedContent: 0,
    };
    this.users.set(user.id, user);
    this.userByName.set(user.name.toLowerCase(), user);
    this.groupsOfUser.set(user.id, new Set());
    if (this.hasFreeLicence(input.siteRole)) this.assignRole(user, input.siteRole);
    return user;
  }

  /** Applies an update; a role whose licences are all taken is refused with 409014. */
  updateUser(
    id: string,
    patch: { name?: string; fullName?: string; email?: string; siteRole?: string; authSetting?: string },
  ): SiteUser {
    const user = this.user(id);
    if (patch.siteRole !== undefined && !isWritableSiteRole(patch.siteRole))
      throw invalidSiteRoleError(patch.siteRole);
    if (patch.authSetting !== undefined && !isAuthSetting(patch.authSetting))
      throw invalidAuthSetting(`Invalid authSetting '${patch.authSetting}'.`);
    if (patch.email !== undefined && patch.email !== "" && !/^[^@\s]+@[^@\s]+$/.test(patch.email))
      throw badRequest("The email attribute does not contain a valid email address.");
    if (patch.name !== undefined && patch.name !== user.name) {
      const other = this.userByName.get(patch.name.toLowerCase());
      if (other && other.id !== id)
        throw userNameConflict(`User '${patch.name}' already exists on the site.`);
    }
    if (patch.siteRole !== undefined && patch.siteRole !== user.siteRole) {
      if (!this.hasFreeLicence(patch.siteRole, user))
        throw licensingConflict(`No ${licenceTierOf(patch.siteRole)} licence is free on this site.`);
    }
    if (patch.name !== undefined) this.renameUser(user, patch.name);
    if (patch.fullName !== undefined) user.fullName = patch.fullName;
    if (patch.email !== undefined) user.email = patch.email;
    if (patch.authSetting !== undefined) user.authSetting = patch.authSetting;
    if (patch.siteRole !== undefined) this.assignRole(user, patch.siteRole);
    return user;
  }

  /**
   * Removes a user. One who owns content is not removed: Tableau answers 409 and sets the role to
   * Unlicensed. With `mapAssetsTo` the content moves to that user first.
   */
  removeUser(id: string, mapAssetsTo?: string): void {
    const user = this.user(id);
    if (mapAssetsTo !== undefined && mapAssetsTo !== "") {
      const heir = this.user(mapAssetsTo);
      heir.ownedContent += user.ownedContent;
      user.ownedContent = 0;
    }
    if (user.ownedContent > 0) {
      this.assignRole(user, "Unlicensed");
      throw userOwnsContent(`User '${id}' still owns content on the site and cannot be deleted.`);
    }
    this.assignRole(user, "Unlicensed");
    for (const gid of this.groupsOfUser.get(id) ?? []) this.groups.get(gid)?.members.delete(id);
    this.groupsOfUser.delete(id);
    this.userByName.delete(user.name.toLowerCase());
    this.users.delete(id);
  }

  /** Changes the name behind the API's back (tests use it to simulate drift). */
  renameUser(user: SiteUser, name: string): void {
    this.userByName.delete(user.name.toLowerCase());
    user.name = name;
    this.userByName.set(name.toLowerCase(), user);
  }

  /** Sets a role directly, bypassing validation and licences (test seeding). */
  forceRole(id: string, role: string): void {
    this.assignRole(this.user(id), role);
  }

  /**
   * A user signs in to Tableau: lastLogin is stamped, and groups with grantLicenseMode=onLogin raise
   * the role to their minimumSiteRole (the highest applies).
   */
  signInUser(id: string, at: Date = new Date()): SiteUser {
    const user = this.user(id);
    user.lastLogin = at.toISOString().replace(/\.\d{3}Z$/, "Z");
    let best = user.siteRole;
    for (const g of this.groupsOf(id)) {
      if (
        g.grantLicenseMode === "onLogin" &&
        g.minimumSiteRole &&
        roleRank(g.minimumSiteRole) > roleRank(best)
      )
        best = g.minimumSiteRole;
    }
    if (best !== user.siteRole && this.hasFreeLicence(best, user)) this.assignRole(user, best);
    return user;
  }

  licencesUsed(tier: LicenceTier): number {
    return this.used[tier];
  }

  private hasFreeLicence(role: string, current?: SiteUser): boolean {
    const tier = licenceTierOf(role);
    if (!tier) return true;
    if (current && licenceTierOf(current.siteRole) === tier) return true;
    const cap = this.capacity[tier];
    return cap === undefined || this.used[tier] < cap;
  }

  private assignRole(user: SiteUser, role: string): void {
    const before = licenceTierOf(user.siteRole);
    const after = licenceTierOf(role);
    if (before) this.used[before]--;
    user.siteRole = role;
    if (after) this.used[after]++;
  }

  // ---- groups ----

  group(id: string): SiteGroup {
    const g = this.groups.get(id);
    if (!g) throw groupNotFound(id);
    return g;
  }

  groupByNameCi(name: string): SiteGroup | undefined {
    return this.groupByName.get(name.toLowerCase());
  }

  /** Group names are unique case-insensitively (409009). */
  createGroup(input: { name: string; minimumSiteRole?: string; grantLicenseMode?: string }): SiteGroup {
    if (!input.name) throw badRequest("The group name is missing.");
    validateGroupGrant(input);
    if (this.groupByName.has(input.name.toLowerCase()))
      throw groupNameConflict(`A group named '${input.name}' already exists on the site.`);
    return this.insertGroup({ ...input, builtIn: false });
  }

  updateGroup(
    id: string,
    patch: { name?: string; minimumSiteRole?: string; grantLicenseMode?: string },
  ): SiteGroup {
    const g = this.group(id);
    validateGroupGrant(patch);
    if (g.builtIn && patch.name !== undefined && patch.name !== g.name)
      throw forbidden(`The '${ALL_USERS}' group cannot be renamed.`);
    if (patch.name !== undefined && patch.name.toLowerCase() !== g.name.toLowerCase()) {
      if (this.groupByName.has(patch.name.toLowerCase()))
        throw groupNameConflict(`A group named '${patch.name}' already exists on the site.`);
    }
    if (patch.name !== undefined) {
      this.groupByName.delete(g.name.toLowerCase());
      g.name = patch.name;
      this.groupByName.set(g.name.toLowerCase(), g);
    }
    if (patch.minimumSiteRole !== undefined) g.minimumSiteRole = patch.minimumSiteRole;
    if (patch.grantLicenseMode !== undefined) g.grantLicenseMode = patch.grantLicenseMode;
    return g;
  }

  deleteGroup(id: string): void {
    const g = this.group(id);
    if (g.builtIn) throw forbidden(`The '${ALL_USERS}' group cannot be deleted.`);
    for (const uid of g.members) this.groupsOfUser.get(uid)?.delete(id);
    this.groups.delete(id);
    this.groupByName.delete(g.name.toLowerCase());
  }

  /** Members in insertion order; "All Users" holds everyone. */
  membersOf(groupId: string): SiteUser[] {
    const g = this.group(groupId);
    if (g.builtIn) return [...this.users.values()];
    const out: SiteUser[] = [];
    for (const uid of g.members) {
      const u = this.users.get(uid);
      if (u) out.push(u);
    }
    return out;
  }

  memberCount(g: SiteGroup): number {
    return g.builtIn ? this.users.size : g.members.size;
  }

  groupsOf(userId: string): SiteGroup[] {
    this.user(userId);
    const out = [this.allUsers];
    for (const gid of this.groupsOfUser.get(userId) ?? []) {
      const g = this.groups.get(gid);
      if (g) out.push(g);
    }
    return out;
  }

  isMember(groupId: string, userId: string): boolean {
    const g = this.group(groupId);
    return g.builtIn ? this.users.has(userId) : g.members.has(userId);
  }

  /** Adds one member; 409011 when already in. */
  addMember(groupId: string, userId: string): SiteUser {
    const g = this.group(groupId);
    const u = this.user(userId);
    if (this.isMember(groupId, userId))
      throw alreadyMember(`User '${userId}' is already a member of group '${g.name}'.`);
    g.members.add(userId);
    this.groupsOfUser.get(userId)?.add(groupId);
    return u;
  }

  removeMember(groupId: string, userId: string): void {
    const g = this.group(groupId);
    this.user(userId);
    if (g.builtIn) throw forbidden(`Users cannot be removed from the '${ALL_USERS}' group.`);
    if (!g.members.has(userId)) throw userNotFound(userId);
    g.members.delete(userId);
    this.groupsOfUser.get(userId)?.delete(groupId);
  }

  private insertGroup(input: {
    name: string;
    builtIn: boolean;
    minimumSiteRole?: string;
    grantLicenseMode?: string;
  }): SiteGroup {
    const g: SiteGroup = { id: randomUUID(), domainName: "local", members: new Set(), ...input };
    this.groups.set(g.id, g);
    this.groupByName.set(g.name.toLowerCase(), g);
    return g;
  }
}

function invalidSiteRoleError(role: unknown) {
  return invalidSiteRole(
    `Invalid site role '${String(role)}'. The value of the siteRole attribute must be Creator, Explorer, ` +
      "ExplorerCanPublish, SiteAdministratorCreator, SiteAdministratorExplorer, Unlicensed, or Viewer.",
  );
}

function validateGroupGrant(input: { minimumSiteRole?: string; grantLicenseMode?: string }): void {
  if (input.minimumSiteRole !== undefined && !isWritableSiteRole(input.minimumSiteRole))
    throw invalidSiteRoleError(input.minimumSiteRole);
  if (input.grantLicenseMode !== undefined && !["onLogin", "onSync"].includes(input.grantLicenseMode))
    throw badRequest(`Invalid grantLicenseMode '${input.grantLicenseMode}'.`);
}
