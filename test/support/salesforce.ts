// Shared by the tests that read a Salesforce org (the emulator or a sandbox) back with jsforce.
import jsforce from "jsforce";
import { SALESFORCE_EMULATOR_DEFAULTS as DEMO } from "../../src/emulators/salesforce/index.ts";

/** The emulator's default integration user, for the password flow. */
export const SALESFORCE_PASSWORD_AUTH = {
  password: {
    clientId: DEMO.clientId,
    clientSecret: DEMO.clientSecret,
    username: DEMO.username,
    password: DEMO.password,
    securityToken: DEMO.securityToken,
  },
};

/** A jsforce connection to the org at loginUrl, logged in with the password flow (the emulator's user by default). */
export async function salesforceConnection(
  loginUrl: string,
  credentials: {
    clientId: string;
    clientSecret: string;
    username: string;
    password: string;
    securityToken?: string;
  } = SALESFORCE_PASSWORD_AUTH.password,
): Promise<jsforce.Connection> {
  const conn = new jsforce.Connection({
    loginUrl,
    version: "62.0",
    oauth2: { loginUrl, clientId: credentials.clientId, clientSecret: credentials.clientSecret },
  });
  await conn.login(credentials.username, credentials.password + (credentials.securityToken ?? ""));
  return conn;
}
