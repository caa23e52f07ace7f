// What to do about a resource's state in a target: one pure decision, table-tested, shown next to the last error.

export interface LinkFacts {
  state: string;
  errorCode?: string | null | undefined;
  /** The resource is deprovisioned (deactivated / unlicensed) in the target. */
  deprovisioned?: boolean | undefined;
}

// Codes that say the bridge's own credentials or permissions are the problem, whatever the target kind.
const CREDENTIALS =
  /AUTH|LOGIN|SESSION|TOKEN|PERMISSION|FORBIDDEN|INSUFFICIENT|^401|^403|invalid_grant|invalid_client/i;
const TRANSIENT = /LIMIT|RATE|TIMEOUT|UNAVAILABLE|NETWORK|ECONN|ETIMEDOUT|^5\d\d|^429|UNKNOWN_EXCEPTION/i;

export function whatToDo(l: LinkFacts): string {
  const code = l.errorCode ?? "";
  switch (l.state) {
    case "synced":
      return l.deprovisioned
        ? "Nothing: the account is deprovisioned, as the store says."
        : "Nothing: the target matches the store.";
    case "held":
      return "A deprovision held by the circuit breaker: review it under Failed & held, then release it (or fix the IdP if the mass removal was a mistake).";
    case "pending":
      if (!code) return "Nothing: it is queued and is delivered within seconds.";
      if (CREDENTIALS.test(code))
        return "The bridge cannot sign in to this target or lacks a permission; it keeps retrying. Run the health checks on the overview and apply the fix they name.";
      return "The bridge retries on its own with backoff. Use Retry now to try at once.";
    case "failed":
      if (CREDENTIALS.test(code))
        return "Fix the target's credentials or permissions (the overview's health checks say which), then Retry now.";
      if (TRANSIENT.test(code))
        return "The target kept refusing for a while (its limit or an outage) and retries ran out. When it is healthy again, Retry now.";
      return "The target refused this change permanently; its code and message say why. Fix the value in the IdP (or the target's mapping), then Retry now.";
    default:
      return "";
  }
}
