// targets/tableau: one Tableau site (Server or Cloud) as a provisioning target.
//
//   createTableauTarget(config, { retry, logger? }) → TableauTarget (a Target)
//   TableauTargetConfig (zod), tableauConfigFromEnv(env), TABLEAU_JWT_SCOPES
//   classifyTableauError(retry, status, code, headers) → Outcome, TableauError
export { TableauError } from "./client/errors.ts";
export type { TableauLogger } from "./client/request.ts";
export { classifyTableauError } from "./client/retry.ts";
export {
  TABLEAU_JWT_SCOPES,
  TableauTargetConfig,
  type TableauTargetConfigInput,
  tableauConfigFromEnv,
} from "./config.ts";
export { createTableauTarget, type TableauTarget, type TableauTargetOptions } from "./target.ts";
