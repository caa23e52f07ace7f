// scimmy is a process-wide singleton: schema extensions and service-provider settings are declared once here.
import SCIMMY from "scimmy";
import { type ExtensionSchema, toScimmySchemaDefinition } from "../mapping/index.ts";

export const CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User";
export const CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
export const LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
export const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
export const SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
export const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";
/** Read-only per-target provisioning status on every User and Group. */
export const PROVISIONING = "urn:ietf:params:scim:schemas:extension:scim-bridge:2.0:Provisioning";

const readOnly = { mutable: false, returned: "default" } as const;
const provisioningSchema = () =>
  new SCIMMY.Types.SchemaDefinition(
    "Provisioning",
    PROVISIONING,
    "Where this resource is provisioned, and how its last delivery went",
    [
      new SCIMMY.Types.Attribute(
        "complex",
        "targets",
        { ...readOnly, multiValued: true, description: "One entry per target the resource is in scope of" },
        [
          new SCIMMY.Types.Attribute("string", "target", {
            ...readOnly,
            description: "The target's configured name",
          }),
          new SCIMMY.Types.Attribute("string", "state", {
            ...readOnly,
            canonicalValues: ["pending", "synced", "failed", "held"],
            description:
              "pending: queued or retrying; synced: the target matches; failed: will not be retried; held: a deprovision held by the circuit breaker",
          }),
          new SCIMMY.Types.Attribute("string", "targetId", {
            ...readOnly,
            description: "The account's id in the target",
          }),
          new SCIMMY.Types.Attribute("dateTime", "lastAttemptAt", readOnly),
          new SCIMMY.Types.Attribute("string", "errorCode", {
            ...readOnly,
            description: "The target's own error code",
          }),
          new SCIMMY.Types.Attribute("string", "errorMessage", readOnly),
        ],
      ),
    ],
  );

/** Defaults for /Bulk (advertised in /ServiceProviderConfig and enforced). */
export const BULK_MAX_OPERATIONS = 1000;
export const BULK_MAX_PAYLOAD = 1_048_576;
export const BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
export const BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

export interface ScimSettings {
  filterMaxResults: number;
  bulkMaxOperations?: number;
  bulkMaxPayloadSize?: number;
  documentationUri?: string;
}

let declared = false;
let userExtensions: readonly ExtensionSchema[] = [];
// Computed once at declaration: read on every request (routes, dialect normalisation, PATCH parsing).
let extensionIds: readonly string[] = [ENTERPRISE_USER, PROVISIONING];
let extensionAliases: readonly { alias: string; id: string }[] = [];

export function userExtensionIds(): readonly string[] {
  return extensionIds;
}

/** The other keys clients write a declared extension under, each with the extension id it stands for. */
export function userExtensionAliases(): readonly { alias: string; id: string }[] {
  return extensionAliases;
}

/**
 * RFC 7643 lists "work", "home", … as examples of `type`; IdPs send "Work", "mobile2", "WindowsAzureActiveDirectoryRole".
 * scimmy enforces them as canonical values, so they are relaxed here: values are stored verbatim (Entra's rule).
 */
const FREE_TYPES = [
  "emails.type",
  "phoneNumbers.type",
  "addresses.type",
  "ims.type",
  "photos.type",
  "roles.type",
  "entitlements.type",
  "x509Certificates.type",
];

function relaxTypeValues() {
  for (const path of FREE_TYPES) {
    const a = SCIMMY.Schemas.User.definition.attribute(path) as { config: { canonicalValues: unknown } };
    a.config.canonicalValues = false;
  }
}

/**
 * Declares the core schemas and the given User extensions (every target kind's per-user overrides, so payloads
 * written for a vendor's own SCIM validate here), once per process. The bridge declares through
 * declareBridgeSchemas (src/schemas.ts) first, before anything (target scopes, filters, mappings) resolves an
 * attribute path, so any declared attribute can be named.
 */
export function declareScimSchemas(extensions: readonly ExtensionSchema[] = []) {
  if (declared) return;
  relaxTypeValues();
  userExtensions = extensions.filter((e, i) => extensions.findIndex((x) => x.id === e.id) === i);
  extensionIds = Object.freeze([ENTERPRISE_USER, ...userExtensions.map((d) => d.id), PROVISIONING]);
  extensionAliases = Object.freeze(
    userExtensions.flatMap((e) => (e.aliases ?? []).map((alias) => ({ alias, id: e.id }))),
  );
  const provisioning = provisioningSchema();
  SCIMMY.Resources.declare(SCIMMY.Resources.User, {
    extensions: [
      { schema: SCIMMY.Schemas.EnterpriseUser.definition, required: false },
      ...userExtensions.map((e) => ({ schema: toScimmySchemaDefinition(e), required: false })),
      { schema: provisioning, required: false },
    ],
  });
  SCIMMY.Resources.declare(SCIMMY.Resources.Group, {
    extensions: [{ schema: provisioning, required: false }],
  });
  declared = true;
}

/** Applies the service-provider settings (on every call: tests), once the schemas are declared. */
export function declareScim(settings: ScimSettings) {
  if (!declared) throw new Error("declareScimSchemas must run before declareScim");
  SCIMMY.Config.set({
    ...(settings.documentationUri ? { documentationUri: settings.documentationUri } : {}),
    patch: { supported: true },
    filter: { supported: true, maxResults: settings.filterMaxResults },
    sort: { supported: true },
    etag: { supported: true },
    changePassword: { supported: false },
    bulk: {
      supported: true,
      maxOperations: settings.bulkMaxOperations ?? BULK_MAX_OPERATIONS,
      maxPayloadSize: settings.bulkMaxPayloadSize ?? BULK_MAX_PAYLOAD,
    },
  });
}
