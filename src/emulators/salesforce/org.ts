import { notFound, type RestError, SalesforceApiError } from "./errors.ts";
import { createIdFactory, normalizeId } from "./ids.ts";
import { OBJECTS, type ObjectDef, objectDef, objectForId } from "./schema.ts";
import { indexKey, type SfRecord, type SfValue, Table } from "./table.ts";
import { type OrgView, validateWrite } from "./validate.ts";

export interface PasswordResetEmail {
  userId: string;
  username: string;
  email: string;
  at: string;
}

export interface OrgSettings {
  /** The integration user the OAuth flows log in as; seeded as a System Administrator. */
  username: string;
  /** Usernames "taken in another org": creating them fails with DUPLICATE_USERNAME. */
  reservedUsernames: string[];
  /** Seats per licence name ("Salesforce", "Chatter Free"); active users beyond it get LICENSE_LIMIT_EXCEEDED. */
  licenses: Record<string, number>;
  /** The error a DELETE of a User returns; Salesforce's exact reply is unverified, so it is configurable. */
  userDeleteError: RestError & { status: number };
  /**
   * A changed User Email takes effect only once the user confirms it from the new address (Salesforce's
   * default); until then the record keeps the old one. Off by default here.
   */
  emailChangeNeedsConfirmation?: boolean;
  now: () => number;
  /** An earlier org to carry on from (the demo's data directory), instead of a freshly seeded one. */
  restore?: OrgSnapshot;
}

/** Everything an org holds, as JSON: what the demo mode keeps in its data directory across restarts. */
export interface OrgSnapshot {
  orgId: string;
  adminUserId: string;
  issuedIds: number;
  reserved: string[];
  tables: Record<string, { rows: SfRecord[]; deleted: SfRecord[] }>;
}

/** Salesforce's datetime format in REST JSON: 2024-05-01T10:00:00.000+0000. */
export function sfDateTime(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "+0000");
}

const SEED_PERMISSION_SETS: [string, string][] = [
  ["Sales_Cloud_User", "Sales Cloud User"],
  ["Marketing_User", "Marketing User"],
  ["API_Enabled", "API Enabled"],
  ["Knowledge_Author", "Knowledge Author"],
];

/** The in-memory org behind the emulator; tests use it directly to seed data and to simulate drift. */
export class SalesforceOrg implements OrgView {
  readonly orgId: string;
  readonly passwordResetEmails: PasswordResetEmail[] = [];
  readonly passwordChanges: { userId: string; at: string }[] = [];
  adminUserId = "";
  private readonly tables = new Map<string, Table>();
  private readonly reserved = new Set<string>();
  private readonly newId: ReturnType<typeof createIdFactory>;
  private readonly settings: OrgSettings;
  /** User Id → an Email change waiting for the user's confirmation. */
  readonly pendingEmails = new Map<string, string>();

  constructor(settings: OrgSettings) {
    this.settings = settings;
    const saved = settings.restore;
    this.newId = createIdFactory("RO", saved?.issuedIds ?? 0);
    for (const def of OBJECTS.values()) this.tables.set(def.name, new Table(def));
    for (const u of [...settings.reservedUsernames, ...(saved?.reserved ?? [])]) this.reserveUsername(u);
    if (saved) {
      this.orgId = saved.orgId;
      this.adminUserId = saved.adminUserId;
      for (const [name, t] of Object.entries(saved.tables)) {
        const table = this.tables.get(name);
        for (const r of t.rows) table?.put(r);
        for (const r of t.deleted) table?.deleted.set(String(r.Id), r);
      }
    } else {
      this.orgId = this.newId("00D");
      this.seed();
    }
  }

  snapshot(): OrgSnapshot {
    const tables: OrgSnapshot["tables"] = {};
    for (const [name, t] of this.tables) {
      if (t.rows.size || t.deleted.size)
        tables[name] = { rows: [...t.rows.values()], deleted: [...t.deleted.values()] };
    }
    return {
      orgId: this.orgId,
      adminUserId: this.adminUserId,
      issuedIds: this.newId.issued(),
      reserved: [...this.reserved],
      tables,
    };
  }

  table(type: string): Table {
    const def = objectDef(type);
    const table = def && this.tables.get(def.name);
    if (!table) throw notFound();
    return table;
  }

  exists(id: string): boolean {
    const def = objectForId(id);
    return !!def && !!this.tables.get(def.name)?.rows.has(id);
  }

  isReservedUsername(username: string): boolean {
    return this.reserved.has(username.toLowerCase());
  }

  reserveUsername(username: string): void {
    this.reserved.add(username.toLowerCase());
  }

  get(type: string, id: string, includeDeleted = false): SfRecord | undefined {
    const table = this.table(type);
    const key = normalizeId(id);
    if (!key) return undefined;
    return table.rows.get(key) ?? (includeDeleted ? table.deleted.get(key) : undefined);
  }

  /** Creates a record with full validation and Salesforce's defaults; throws SalesforceApiError. */
  create(type: string, input: Record<string, unknown>): SfRecord {
    const table = this.table(type);
    const def = table.def;
    const changes = validateWrite(this, def, input);
    const now = sfDateTime(this.settings.now());
    const actor = this.adminUserId || null;
    const record: SfRecord = {};
    for (const f of def.fields) record[f.name] = f.defaultValue ?? null;
    Object.assign(record, changes, {
      Id: this.newId(def.keyPrefix),
      CreatedDate: now,
      LastModifiedDate: now,
      SystemModstamp: now,
      CreatedById: actor,
      LastModifiedById: actor,
    });
    this.derive(def, record);
    if (def.name === "User") this.checkLicense(record, undefined);
    table.put(record);
    return record;
  }

  update(type: string, id: string, input: Record<string, unknown>): SfRecord {
    const table = this.table(type);
    const existing = this.get(type, id);
    if (!existing) throw notFound();
    if (!table.def.updateable) {
      throw new SalesforceApiError(
        400,
        "INVALID_TYPE_FOR_OPERATION",
        `entity type ${table.def.name} does not support update`,
      );
    }
    const changes = validateWrite(this, table.def, input, existing);
    if (
      table.def.name === "User" &&
      this.settings.emailChangeNeedsConfirmation &&
      changes.Email !== undefined &&
      String(changes.Email).toLowerCase() !== String(existing.Email ?? "").toLowerCase()
    ) {
      this.pendingEmails.set(String(existing.Id), String(changes.Email));
      delete changes.Email;
    }
    const now = sfDateTime(this.settings.now());
    const record: SfRecord = { ...existing, ...changes, LastModifiedDate: now, SystemModstamp: now };
    this.derive(table.def, record);
    if (table.def.name === "User") this.checkLicense(record, existing);
    table.put(record);
    return record;
  }

  /** The user clicks the confirmation link: a pending Email change takes effect. */
  confirmEmail(userId: string): void {
    const email = this.pendingEmails.get(userId);
    const user = this.get("User", userId);
    if (email === undefined || !user) return;
    this.pendingEmails.delete(userId);
    this.table("User").put({ ...user, Email: email });
  }

  delete(type: string, id: string): void {
    const table = this.table(type);
    const record = this.get(type, id);
    if (!record) {
      if (this.get(type, id, true))
        throw new SalesforceApiError(404, "ENTITY_IS_DELETED", "entity is deleted");
      throw notFound();
    }
    const recordId = String(record.Id);
    if (table.def.name === "User") {
      const e = this.settings.userDeleteError;
      throw new SalesforceApiError(e.status, e.errorCode, e.message, e.fields);
    }
    if (
      table.def.name === "Profile" &&
      [...this.table("User").rows.values()].some((u) => u.ProfileId === recordId)
    ) {
      throw new SalesforceApiError(400, "DELETE_FAILED", "Cannot delete profile: users are assigned to it");
    }
    if (table.def.name === "PermissionSet" && record.IsOwnedByProfile) {
      throw new SalesforceApiError(400, "DELETE_FAILED", "Cannot delete a permission set owned by a profile");
    }
    if (table.def.name === "Group") this.cascade("GroupMember", "GroupId", recordId);
    if (table.def.name === "PermissionSet")
      this.cascade("PermissionSetAssignment", "PermissionSetId", recordId);
    table.remove(recordId);
  }

  /** Runs `work` with every change journaled; returns an undo that restores the org as it was. */
  journaled<T>(work: () => T): { result: T; undo: () => void } {
    const journal: (() => void)[] = [];
    for (const t of this.tables.values()) t.journal = journal;
    try {
      return { result: work(), undo: () => this.undo(journal) };
    } finally {
      for (const t of this.tables.values()) t.journal = undefined;
    }
  }

  private undo(journal: (() => void)[]): void {
    for (const t of this.tables.values()) t.journal = undefined;
    for (const inverse of journal.reverse()) inverse();
  }

  /** Rows of a type matching every given field (text compared case-insensitively), for tests. */
  find(type: string, where: Record<string, SfValue> = {}): SfRecord[] {
    const table = this.table(type);
    const entries = Object.entries(where).map(([k, v]) => {
      const field = table.def.byName.get(k.toLowerCase());
      if (!field) throw new Error(`No field ${k} on ${table.def.name}`);
      return [field, v] as const;
    });
    return [...table.rows.values()].filter((r) =>
      entries.every(([f, v]) => indexKey(f, r[f.name] ?? null) === indexKey(f, v)),
    );
  }

  /** Same as create: an insert "behind the API's back" that neither counts nor needs a session. */
  insert(type: string, input: Record<string, unknown>): SfRecord {
    return this.create(type, input);
  }

  users(): SfRecord[] {
    return [...this.table("User").rows.values()];
  }

  profileId(name: string): string {
    return this.idByName("Profile", name);
  }

  permissionSetId(name: string): string {
    return this.idByName("PermissionSet", name);
  }

  recordPasswordReset(user: SfRecord): void {
    this.passwordResetEmails.push({
      userId: String(user.Id),
      username: String(user.Username),
      email: String(user.Email),
      at: sfDateTime(this.settings.now()),
    });
  }

  private idByName(type: string, name: string): string {
    const id = this.table(type).lookup("Name", name)?.[0];
    if (!id) throw new Error(`No ${type} named ${name}`);
    return id;
  }

  private cascade(type: string, field: string, id: string): void {
    const table = this.table(type);
    for (const childId of table.lookup(field, id) ?? []) table.remove(childId);
  }

  /** Fields Salesforce computes: Name, a unique CommunityNickname, a Group DeveloperName. */
  private derive(def: ObjectDef, record: SfRecord): void {
    if (def.name === "User") {
      record.Name = [record.FirstName, record.LastName].filter(Boolean).join(" ");
      if (!record.CommunityNickname)
        record.CommunityNickname = this.uniqueValue("User", "CommunityNickname", nicknameBase(record), 40);
    }
    if (def.name === "Group" && !record.DeveloperName) {
      record.DeveloperName = this.uniqueValue(
        "Group",
        "DeveloperName",
        developerName(String(record.Name)),
        80,
      );
    }
  }

  private uniqueValue(type: string, field: string, base: string, max: number): string {
    const table = this.table(type);
    if (!table.lookup(field, base)?.length) return base;
    for (let n = 1; ; n++) {
      const suffix = String(n);
      const candidate = base.slice(0, max - suffix.length) + suffix;
      if (!table.lookup(field, candidate)?.length) return candidate;
    }
  }

  private licenseName(profileId: SfValue): string | undefined {
    const profile = typeof profileId === "string" ? this.get("Profile", profileId) : undefined;
    const license = profile?.UserLicenseId
      ? this.get("UserLicense", String(profile.UserLicenseId))
      : undefined;
    return license ? String(license.Name) : undefined;
  }

  /** Keeps UsedLicenses current and refuses an active user beyond the licence's seats. */
  private checkLicense(next: SfRecord, before: SfRecord | undefined): void {
    const was = before?.IsActive ? this.licenseName(before.ProfileId ?? null) : undefined;
    const will = next.IsActive ? this.licenseName(next.ProfileId ?? null) : undefined;
    if (was === will) return;
    const licenses = this.table("UserLicense");
    const row = (name: string | undefined) =>
      name ? licenses.rows.get(licenses.lookup("Name", name)?.[0] ?? "") : undefined;
    const gained = row(will);
    if (gained && Number(gained.UsedLicenses) >= Number(gained.TotalLicenses)) {
      throw new SalesforceApiError(400, "LICENSE_LIMIT_EXCEEDED", "License Limit Exceeded");
    }
    const lost = row(was);
    if (lost) licenses.put({ ...lost, UsedLicenses: Number(lost.UsedLicenses) - 1 });
    if (gained) licenses.put({ ...gained, UsedLicenses: Number(gained.UsedLicenses) + 1 });
  }

  private seed(): void {
    const now = sfDateTime(this.settings.now());
    const raw = (type: string, fields: SfRecord): string => {
      const table = this.table(type);
      const record: SfRecord = {};
      for (const f of table.def.fields) record[f.name] = f.defaultValue ?? null;
      Object.assign(
        record,
        { Id: this.newId(table.def.keyPrefix), CreatedDate: now, LastModifiedDate: now, SystemModstamp: now },
        fields,
      );
      table.put(record);
      return String(record.Id);
    };
    const seats = (name: string) => this.settings.licenses[name] ?? 1_000_000;
    const sfdc = raw("UserLicense", {
      Name: "Salesforce",
      LicenseDefinitionKey: "SFDC",
      TotalLicenses: seats("Salesforce"),
      UsedLicenses: 0,
    });
    const chatter = raw("UserLicense", {
      Name: "Chatter Free",
      LicenseDefinitionKey: "PID_Chatter",
      TotalLicenses: seats("Chatter Free"),
      UsedLicenses: 0,
    });
    for (const [name, license] of [
      ["System Administrator", sfdc],
      ["Standard User", sfdc],
      ["Chatter Free User", chatter],
    ] as const) {
      const profileId = raw("Profile", {
        Name: name,
        UserLicenseId: license,
        UserType: name.startsWith("Chatter") ? "CsnOnly" : "Standard",
      });
      raw("PermissionSet", {
        Name: `X${profileId.slice(0, 15)}`,
        Label: `${name} profile permissions`,
        Type: "Profile",
        IsOwnedByProfile: true,
        ProfileId: profileId,
      });
    }
    for (const [name, label] of SEED_PERMISSION_SETS)
      raw("PermissionSet", { Name: name, Label: label, Type: "Regular" });
    raw("UserRole", { Name: "CEO", DeveloperName: "CEO" });
    raw("UserRole", { Name: "Sales Manager", DeveloperName: "Sales_Manager" });
    const admin = this.create("User", {
      Username: this.settings.username,
      LastName: "Integration",
      FirstName: "API",
      Email: adminEmail(this.settings.username),
      Alias: "apiuser",
      TimeZoneSidKey: "America/Los_Angeles",
      LocaleSidKey: "en_US",
      EmailEncodingKey: "UTF-8",
      LanguageLocaleKey: "en_US",
      ProfileId: this.profileId("System Administrator"),
    });
    this.adminUserId = String(admin.Id);
  }
}

function adminEmail(username: string): string {
  return /@/.test(username) ? username : "admin@example.com";
}

function nicknameBase(user: SfRecord): string {
  const source = String(user.Email ?? user.Username ?? "user");
  return (source.split("@")[0] ?? "user").slice(0, 35) || "user";
}

function developerName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
  const withLetter = /^[A-Za-z]/.test(cleaned) ? cleaned : `X${cleaned}`;
  return withLetter.slice(0, 80) || "X";
}
