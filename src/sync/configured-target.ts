// The one name for a target instance as the bridge runs it, defined beside the registry that builds it.
export type { ConfiguredTarget } from "../targets/registry.ts";
