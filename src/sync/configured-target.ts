import type { Target } from "../targets/target.ts";

/** A target instance as the sync engine sees it: the implementation plus the bridge-side settings around it. */
export interface ConfiguredTarget {
  name: string;
  /** A SCIM filter on the user; undefined = everyone. */
  scope?: string;
  /**
   * What a user this target's pre-flight refuses does to the write: "record" (default) stores it and shows this
   * target `failed`; "reject" refuses the SCIM write with 400, for admins who want the IdP to see the refusal.
   */
  preflight?: "record" | "reject";
  target: Target;
}
