import { SALESFORCE_EMULATOR_DEFAULTS as D } from "./options.ts";

/**
 * How to point a `salesforce` target at an emulator started with the demo credentials: a plain target config
 * (the demo mode, benchmarks). The emulator itself knows nothing of the target.
 */
export function salesforceEmulatorTargetConfig(url: string, name = "salesforce") {
  return {
    name,
    kind: "salesforce",
    loginUrl: url,
    auth: {
      password: {
        clientId: D.clientId,
        clientSecret: D.clientSecret,
        username: D.username,
        password: D.password,
        securityToken: D.securityToken,
      },
    },
    mapping: { fields: { ProfileId: { const: "Standard User" } } },
  };
}
