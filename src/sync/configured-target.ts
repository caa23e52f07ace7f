import type { Target } from "../targets/target.ts";

/** A target instance as the sync engine sees it: the implementation plus the bridge-side settings around it. */
export interface ConfiguredTarget {
  name: string;
  /** A SCIM filter on the user; undefined = everyone. */
  scope?: string;
  target: Target;
}
