// targets/salesforce: provisioning users and public groups into a Salesforce org with jsforce.
//
//   createSalesforceTarget(config, deps)       — the Target (apply, check, listUsers, listGroups, preflight)
//   SalesforceTargetConfig, salesforceConfigFromEnv — YAML entry / SALESFORCE_* variables
//   classifySalesforceError                    — pure retry decision per Salesforce error
//   developerName                              — a public group's API name from its display name
export { jwtAssertion } from "./auth.ts";
export {
  CORRELATION_KEYS,
  type CorrelationKey,
  SALESFORCE_ENV,
  SalesforceTargetConfig,
  type SalesforceTargetConfigInput,
  salesforceConfigFromEnv,
} from "./config.ts";
export { classifySalesforceError, type ErrorDecision, type SalesforceErrorLike } from "./errors.ts";
export { developerName } from "./groups.ts";
export { createSalesforceTarget, type SalesforceTarget, type SalesforceTargetDeps } from "./target.ts";
