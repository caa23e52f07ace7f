// targets/scim: any SCIM 2.0 service provider as a provisioning target.
//
//   createScimTarget(config, { retry, logger? }) → ScimTarget (a Target)
//   ScimTargetConfig (zod), scimConfigFromEnv(env)
//   classifyPeerAnswer(retry, status, body, retryAfter) → Outcome
export { ScimTargetConfig, type ScimTargetConfigInput, scimConfigFromEnv } from "./config.ts";
export { classifyPeerAnswer } from "./outcome.ts";
export { createScimTarget, type ScimTarget } from "./target.ts";
