export type { ConfiguredTarget } from "./configured-target.ts";
export { Dispatcher, type DispatcherOptions } from "./dispatcher.ts";
export { type BreakerPolicy, breakerTrips, outboxWriter } from "./enqueue.ts";
export { ForegroundLoad, machineCpu } from "./foreground.ts";
export { credentialsParked } from "./health.ts";
export { createSyncMetrics, type SyncMetrics } from "./metrics.ts";
export {
  type BackoffPolicy,
  backoffDelay,
  DEFAULT_BACKOFF,
  nextJobState,
  parseRetryAfter,
  retryPolicy,
} from "./retry.ts";
export { usersInScope } from "./scope.ts";
export { SecretBox } from "./secrets.ts";
