import { DUPLICATE_NICKNAME_MESSAGE, DUPLICATE_USERNAME_MESSAGE, SalesforceApiError } from "./errors.ts";
import { normalizeId } from "./ids.ts";
import { type FieldDef, type ObjectDef, objectForId } from "./schema.ts";
import type { SfRecord, SfValue, Table } from "./table.ts";

/** What validation needs to know about the rest of the org. */
export interface OrgView {
  table(type: string): Table;
  exists(id: string): boolean;
  isReservedUsername(username: string): boolean;
}

const EMAIL =
  /^[^\s@()<>,;:"[\]\\]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)+$/;

const bad = (errorCode: string, message: string, fields: string[] = []): SalesforceApiError =>
  new SalesforceApiError(400, errorCode, message, fields);

/** Converts a JSON value into the field's type, rejecting what Salesforce's JSON parser would reject. */
function coerce(field: FieldDef, value: unknown): SfValue {
  if (value === null || value === undefined) return null;
  if (field.type === "boolean") {
    if (typeof value === "boolean") return value;
    throw bad(
      "JSON_PARSER_ERROR",
      `Cannot deserialize instance of boolean from VALUE_STRING value ${String(value)} or request may be missing a required field`,
    );
  }
  if (field.type === "int") {
    if (typeof value === "number" && Number.isInteger(value)) return value;
    throw bad("JSON_PARSER_ERROR", `Cannot deserialize instance of int from value ${String(value)}`);
  }
  if (typeof value === "object") {
    throw bad(
      "JSON_PARSER_ERROR",
      `Cannot deserialize instance of ${field.type} from START_OBJECT value { or request may be missing a required field`,
    );
  }
  return String(value);
}

/**
 * Turns a create or update body into the fields to store, or throws the single error Salesforce would
 * report first. `existing` is set for updates.
 */
export function validateWrite(
  org: OrgView,
  def: ObjectDef,
  input: Record<string, unknown>,
  existing?: SfRecord,
): SfRecord {
  const changes: SfRecord = {};
  const notWritable: string[] = [];
  for (const [rawName, rawValue] of Object.entries(input)) {
    if (rawName === "attributes") continue;
    if (existing && rawName.toLowerCase() === "id") continue;
    const field = def.byName.get(rawName.toLowerCase());
    if (!field) throw bad("INVALID_FIELD", `No such column '${rawName}' on sobject of type ${def.name}`);
    if (!(existing ? field.updateable : field.createable)) {
      notWritable.push(field.name);
      continue;
    }
    changes[field.name] = coerce(field, rawValue);
  }
  if (notWritable.length > 0) {
    throw bad(
      "INVALID_FIELD_FOR_INSERT_UPDATE",
      `Unable to create/update fields: ${notWritable.join(", ")}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
      notWritable,
    );
  }
  const merged = { ...existing, ...changes };
  const missing = def.fields.filter(
    (f) => f.required && (merged[f.name] === undefined || merged[f.name] === null || merged[f.name] === ""),
  );
  if (missing.length > 0) {
    const names = missing.map((f) => f.name);
    throw bad("REQUIRED_FIELD_MISSING", `Required fields are missing: [${names.join(", ")}]`, names);
  }
  for (const [name, value] of Object.entries(changes)) {
    const field = def.byName.get(name.toLowerCase());
    if (field && value !== null) checkValue(org, field, value);
  }
  checkUniqueness(org, def, changes, merged, existing);
  return changes;
}

function checkValue(org: OrgView, field: FieldDef, value: SfValue): void {
  const text = String(value);
  if (field.length !== undefined && typeof value === "string" && text.length > field.length) {
    throw bad(
      "STRING_TOO_LONG",
      `${field.label}: data value too large: ${text} (max length=${field.length})`,
      [field.name],
    );
  }
  if ((field.type === "email" || field.name === "Username") && !EMAIL.test(text)) {
    throw bad("INVALID_EMAIL_ADDRESS", `${field.label}: invalid email address: ${text}`, [field.name]);
  }
  if (field.type === "picklist" && field.picklist && !field.picklist.includes(text)) {
    throw bad(
      "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
      `${field.label}: bad value for restricted picklist field: ${text}`,
      [field.name],
    );
  }
  if (field.type === "reference") {
    const id = normalizeId(text);
    const target = id ? objectForId(id) : undefined;
    if (!id || !target || !field.referenceTo?.includes(target.name)) {
      throw bad("FIELD_INTEGRITY_EXCEPTION", `${field.label}: id value of incorrect type: ${text}`, [
        field.name,
      ]);
    }
    if (!org.exists(id)) throw bad("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id");
  }
}

function clashes(
  table: Table,
  field: string,
  value: SfValue,
  selfId: SfValue | undefined,
): string | undefined {
  return table.lookup(field, value)?.find((id) => id !== selfId);
}

function checkUniqueness(
  org: OrgView,
  def: ObjectDef,
  changes: SfRecord,
  merged: SfRecord,
  existing?: SfRecord,
): void {
  const table = org.table(def.name);
  const selfId = existing?.Id;
  if (def.name === "User") {
    const username = changes.Username;
    if (
      typeof username === "string" &&
      (clashes(table, "Username", username, selfId) || org.isReservedUsername(username))
    ) {
      throw bad("DUPLICATE_USERNAME", DUPLICATE_USERNAME_MESSAGE, ["Username"]);
    }
    const nick = changes.CommunityNickname;
    if (typeof nick === "string" && clashes(table, "CommunityNickname", nick, selfId)) {
      throw bad("DUPLICATE_COMM_NICKNAME", DUPLICATE_NICKNAME_MESSAGE, ["CommunityNickname"]);
    }
  }
  if (def.name === "PermissionSetAssignment" && !existing) {
    const dup = table
      .lookup("AssigneeId", merged.AssigneeId ?? null)
      ?.find((id) => table.rows.get(id)?.PermissionSetId === merged.PermissionSetId);
    if (dup) {
      throw bad(
        "DUPLICATE_VALUE",
        `Duplicate PermissionSetAssignment. Assignee: ${merged.AssigneeId}, PermissionSet: ${merged.PermissionSetId}`,
      );
    }
  }
  if (def.name === "GroupMember" && !existing) {
    const dup = table
      .lookup("GroupId", merged.GroupId ?? null)
      ?.find((id) => table.rows.get(id)?.UserOrGroupId === merged.UserOrGroupId);
    if (dup)
      throw bad(
        "DUPLICATE_VALUE",
        `duplicate value found: UserOrGroupId duplicates value on record with id: ${dup}`,
      );
  }
  for (const field of ["Name", "DeveloperName"]) {
    const value = changes[field];
    if (
      def.byName.get(field.toLowerCase())?.unique &&
      typeof value === "string" &&
      clashes(table, field, value, selfId)
    ) {
      throw bad("DUPLICATE_DEVELOPER_NAME", `The ${field} "${value}" is already in use.`, [field]);
    }
  }
}
