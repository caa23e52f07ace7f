// The SCIM schemas this bridge serves: the core ones plus every registered target kind's User extension. The
// bridge and the bare HTTP app (tests, benches) both declare through here, so they cannot serve different sets.
import { scimSchemaSet } from "./scim/schema-set.ts";
import { declareScimSchemas } from "./scim/schemas.ts";
import type { SchemaSet } from "./store/index.ts";
import { userExtensions } from "./targets/registry.ts";

export function declareBridgeSchemas(): void {
  declareScimSchemas(userExtensions());
}

/** Declares the schemas (once) and returns what filters and sortBy may name on each resource type. */
export function bridgeSchemaSet(): SchemaSet {
  declareBridgeSchemas();
  return scimSchemaSet();
}
