import { EMAIL_ENCODINGS, LANGUAGES, LOCALES, TIME_ZONES } from "./picklists.ts";

export type FieldType =
  | "id"
  | "string"
  | "email"
  | "phone"
  | "textarea"
  | "boolean"
  | "picklist"
  | "reference"
  | "datetime"
  | "int";

export interface FieldDef {
  name: string;
  label: string;
  type: FieldType;
  length?: number;
  /** Must be supplied on create (non-nillable, no default). */
  required?: boolean;
  createable: boolean;
  updateable: boolean;
  nillable: boolean;
  defaultValue?: string | boolean | null;
  picklist?: readonly string[];
  referenceTo?: string[];
  unique?: boolean;
  externalId?: boolean;
}

export interface ObjectDef {
  name: string;
  label: string;
  keyPrefix: string;
  createable: boolean;
  updateable: boolean;
  deletable: boolean;
  fields: FieldDef[];
  /** Lower-cased field name → definition, for SOQL's case-insensitive names. */
  byName: Map<string, FieldDef>;
  /** Fields kept in an equality index for fast WHERE lookups. */
  indexed: string[];
}

type FieldSpec = Omit<FieldDef, "createable" | "updateable" | "nillable"> &
  Partial<Pick<FieldDef, "createable" | "updateable" | "nillable">>;

const text = (name: string, label: string, length: number, extra: Partial<FieldSpec> = {}): FieldSpec => ({
  name,
  label,
  type: "string",
  length,
  ...extra,
});
const ref = (name: string, label: string, to: string, extra: Partial<FieldSpec> = {}): FieldSpec => ({
  name,
  label,
  type: "reference",
  length: 18,
  referenceTo: [to],
  ...extra,
});
const bool = (
  name: string,
  label: string,
  defaultValue = false,
  extra: Partial<FieldSpec> = {},
): FieldSpec => ({
  name,
  label,
  type: "boolean",
  defaultValue,
  ...extra,
});
const pick = (
  name: string,
  label: string,
  values: readonly string[],
  extra: Partial<FieldSpec> = {},
): FieldSpec => ({
  name,
  label,
  type: "picklist",
  length: 40,
  picklist: values,
  ...extra,
});
const readOnly = { createable: false, updateable: false };

const SYSTEM_FIELDS: FieldSpec[] = [
  { name: "Id", label: "Record ID", type: "id", length: 18, ...readOnly, nillable: false },
  { name: "IsDeleted", label: "Deleted", type: "boolean", defaultValue: false, ...readOnly },
  { name: "CreatedDate", label: "Created Date", type: "datetime", ...readOnly },
  {
    name: "CreatedById",
    label: "Created By ID",
    type: "reference",
    length: 18,
    referenceTo: ["User"],
    ...readOnly,
  },
  { name: "LastModifiedDate", label: "Last Modified Date", type: "datetime", ...readOnly },
  {
    name: "LastModifiedById",
    label: "Last Modified By ID",
    type: "reference",
    length: 18,
    referenceTo: ["User"],
    ...readOnly,
  },
  { name: "SystemModstamp", label: "System Modstamp", type: "datetime", ...readOnly },
];

const USER_PERMISSIONS = [
  "MarketingUser",
  "OfflineUser",
  "CallCenterAutoLogin",
  "MobileUser",
  "SFContentUser",
  "KnowledgeUser",
  "InteractionUser",
  "SupportUser",
  "ChatterAnswersUser",
  "LiveAgentUser",
].map((p) => bool(`UserPermissions${p}`, `${p.replace(/([a-z])([A-Z])/g, "$1 $2")} User`));

function defineObject(
  name: string,
  label: string,
  keyPrefix: string,
  specs: FieldSpec[],
  opts: { deletable?: boolean; updateable?: boolean; indexed?: string[] } = {},
): ObjectDef {
  const fields = [...SYSTEM_FIELDS, ...specs].map<FieldDef>((s) => ({
    createable: true,
    updateable: true,
    nillable: !s.required && s.type !== "boolean",
    ...s,
  }));
  return {
    name,
    label,
    keyPrefix,
    createable: true,
    updateable: opts.updateable ?? true,
    deletable: opts.deletable ?? true,
    fields,
    byName: new Map(fields.map((f) => [f.name.toLowerCase(), f])),
    indexed: ["Id", ...(opts.indexed ?? [])],
  };
}

export const USER = defineObject(
  "User",
  "User",
  "005",
  [
    { name: "Username", label: "Username", type: "string", length: 80, required: true, unique: true },
    text("LastName", "Last Name", 80, { required: true }),
    text("FirstName", "First Name", 40),
    text("Name", "Full Name", 121, readOnly),
    { name: "Email", label: "Email", type: "email", length: 128, required: true },
    text("Alias", "Alias", 8, { required: true }),
    text("CommunityNickname", "Nickname", 40, { unique: true }),
    pick("TimeZoneSidKey", "Time Zone", TIME_ZONES, { required: true }),
    pick("LocaleSidKey", "Locale", LOCALES, { required: true }),
    pick("EmailEncodingKey", "Email Encoding", EMAIL_ENCODINGS, { required: true }),
    pick("LanguageLocaleKey", "Language", LANGUAGES, { required: true }),
    ref("ProfileId", "Profile ID", "Profile", { required: true }),
    ref("UserRoleId", "Role ID", "UserRole"),
    ref("ManagerId", "Manager ID", "User"),
    bool("IsActive", "Active", true),
    text("FederationIdentifier", "SAML Federation ID", 512, { externalId: true }),
    text("Title", "Title", 80),
    text("Department", "Department", 80),
    text("Division", "Division", 80),
    text("CompanyName", "Company Name", 80),
    text("EmployeeNumber", "Employee Number", 20),
    { name: "Phone", label: "Phone", type: "phone", length: 40 },
    { name: "MobilePhone", label: "Mobile", type: "phone", length: 40 },
    { name: "Fax", label: "Fax", type: "phone", length: 40 },
    text("Extension", "Extension", 40),
    { name: "Street", label: "Street", type: "textarea", length: 255 },
    text("City", "City", 40),
    text("State", "State/Province", 80),
    text("PostalCode", "Zip/Postal Code", 20),
    text("Country", "Country", 80),
    { name: "AboutMe", label: "About Me", type: "textarea", length: 1000 },
    pick("UserType", "User Type", ["Standard", "PowerPartner", "CsnOnly", "Guest"], {
      ...readOnly,
      defaultValue: "Standard",
    }),
    pick("DigestFrequency", "Chatter Email Highlights Frequency", ["D", "W", "N"], {
      defaultValue: "D",
      nillable: false,
    }),
    pick(
      "DefaultGroupNotificationFrequency",
      "Default Notification Frequency when Joining Groups",
      ["P", "D", "W", "N"],
      {
        defaultValue: "N",
        nillable: false,
      },
    ),
    { name: "LastLoginDate", label: "Last Login", type: "datetime", ...readOnly },
    ...USER_PERMISSIONS,
  ],
  { deletable: false, indexed: ["Username", "Email", "FederationIdentifier", "CommunityNickname"] },
);

export const PROFILE = defineObject(
  "Profile",
  "Profile",
  "00e",
  [
    text("Name", "Name", 255, { required: true }),
    text("Description", "Description", 255),
    ref("UserLicenseId", "User License ID", "UserLicense", readOnly),
    pick("UserType", "User Type", ["Standard", "CsnOnly", "Guest"], {
      ...readOnly,
      defaultValue: "Standard",
    }),
  ],
  { indexed: ["Name"] },
);

export const USER_ROLE = defineObject(
  "UserRole",
  "Role",
  "00E",
  [
    text("Name", "Name", 80, { required: true }),
    text("DeveloperName", "Developer Name", 80),
    ref("ParentRoleId", "Parent Role ID", "UserRole"),
  ],
  { indexed: ["Name"] },
);

export const PERMISSION_SET = defineObject(
  "PermissionSet",
  "Permission Set",
  "0PS",
  [
    text("Name", "Name", 80, { required: true, unique: true }),
    text("Label", "Label", 80, { required: true }),
    text("Description", "Description", 255),
    pick("Type", "Type", ["Regular", "Profile", "Group", "Session"], { defaultValue: "Regular" }),
    bool("IsOwnedByProfile", "Is Owned By Profile", false, readOnly),
    ref("ProfileId", "Profile ID", "Profile", readOnly),
  ],
  { indexed: ["Name"] },
);

export const PERMISSION_SET_ASSIGNMENT = defineObject(
  "PermissionSetAssignment",
  "Permission Set Assignment",
  "0Pa",
  [
    ref("AssigneeId", "Assignee ID", "User", { required: true, updateable: false }),
    ref("PermissionSetId", "Permission Set ID", "PermissionSet", { required: true, updateable: false }),
    bool("IsActive", "Is Active", true, readOnly),
  ],
  { updateable: false, indexed: ["AssigneeId", "PermissionSetId"] },
);

export const GROUP = defineObject(
  "Group",
  "Group",
  "00G",
  [
    text("Name", "Name", 40, { required: true }),
    text("DeveloperName", "Developer Name", 80, { unique: true }),
    pick("Type", "Type", ["Regular", "Role", "RoleAndSubordinates", "Queue", "Organization"], {
      defaultValue: "Regular",
      updateable: false,
    }),
    bool("DoesIncludeBosses", "Include Bosses", true),
    bool("DoesSendEmailToMembers", "Send Email to Members", false),
    text("Email", "Email", 255),
  ],
  { indexed: ["Name", "DeveloperName"] },
);

export const GROUP_MEMBER = defineObject(
  "GroupMember",
  "Group Member",
  "011",
  [
    ref("GroupId", "Group ID", "Group", { required: true, updateable: false }),
    {
      name: "UserOrGroupId",
      label: "User/Group ID",
      type: "reference",
      length: 18,
      referenceTo: ["User", "Group"],
      required: true,
      updateable: false,
    },
  ],
  { updateable: false, indexed: ["GroupId", "UserOrGroupId"] },
);

export const USER_LICENSE = defineObject(
  "UserLicense",
  "User License",
  "100",
  [
    text("Name", "Name", 40, readOnly),
    text("LicenseDefinitionKey", "License Definition Key", 40, readOnly),
    { name: "TotalLicenses", label: "Total Licenses", type: "int", ...readOnly },
    { name: "UsedLicenses", label: "Used Licenses", type: "int", ...readOnly },
  ],
  { indexed: ["Name"] },
);

export const OBJECTS: ReadonlyMap<string, ObjectDef> = new Map(
  [
    USER,
    PROFILE,
    USER_ROLE,
    PERMISSION_SET,
    PERMISSION_SET_ASSIGNMENT,
    GROUP,
    GROUP_MEMBER,
    USER_LICENSE,
  ].map((o) => [o.name.toLowerCase(), o]),
);

export function objectDef(name: string): ObjectDef | undefined {
  return OBJECTS.get(name.toLowerCase());
}

export function objectForId(id: string): ObjectDef | undefined {
  const prefix = id.slice(0, 3);
  for (const o of OBJECTS.values()) if (o.keyPrefix === prefix) return o;
  return undefined;
}

/** Relationship name of a reference field (ProfileId → Profile) for SOQL parent lookups. */
export function relationshipName(field: FieldDef): string | undefined {
  return field.type === "reference" && field.name.endsWith("Id") ? field.name.slice(0, -2) : undefined;
}
