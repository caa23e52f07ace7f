// The SCIM schemas this bridge serves: the core ones plus every registered target kind's User extension. The
// bridge and the bare HTTP app (tests, benches) both declare through here, so they cannot serve different sets.
import { declareScimSchemas } from "./scim/schemas.ts";
import { userExtensions } from "./targets/registry.ts";

export function declareBridgeSchemas(): void {
  declareScimSchemas(userExtensions());
}
