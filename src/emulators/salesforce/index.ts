export {
  registerSalesforceEmulatorCommand,
  salesforceEmulatorBanner,
  salesforceEmulatorOptionsFromFlags,
} from "./cli.ts";
export type { RestError } from "./errors.ts";
export type { SalesforceEmulatorOptions, SalesforceFaults } from "./options.ts";
export { SALESFORCE_EMULATOR_DEFAULTS } from "./options.ts";
export type { OrgSnapshot, PasswordResetEmail, SalesforceOrg } from "./org.ts";
export type { RunningSalesforceEmulator, SalesforceApiStats } from "./server.ts";
export { startSalesforceEmulator } from "./server.ts";
export type { SfRecord, SfValue } from "./table.ts";
export { salesforceEmulatorTargetConfig } from "./target-config.ts";
