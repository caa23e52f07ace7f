import type { RestError } from "./errors.ts";
import type { OrgSnapshot } from "./org.ts";

export interface SalesforceFaults {
  /** Delay added before every response. */
  latencyMs: number;
  /** Share of data API calls (0..1) answered with 500 UNKNOWN_EXCEPTION or 503 SERVER_UNAVAILABLE. */
  errorRate: number;
  /** Share of data API calls (0..1) that never answer until the client gives up or the emulator closes. */
  timeoutRate: number;
  /** Daily API request allocation; calls beyond it get 403 REQUEST_LIMIT_EXCEEDED. */
  apiBudget: number;
  /** Idle time after which an access token answers 401 INVALID_SESSION_ID. */
  sessionTtlS: number;
}

export interface SalesforceEmulatorOptions extends SalesforceFaults {
  /** 0 picks a free port. */
  port: number;
  host: string;
  clientId: string;
  clientSecret: string;
  /** The integration user (a System Administrator) that password and client-credentials logins run as. */
  username: string;
  password: string;
  /** Appended to the password in the OAuth password flow, as Salesforce requires off trusted networks. */
  securityToken: string;
  /** PEM public key or X.509 certificate that verifies JWT bearer assertions; JWT login is refused without it. */
  jwtPublicKeyPem?: string;
  /** Usernames "taken in another org" (Salesforce usernames are global): creating them gives DUPLICATE_USERNAME. */
  reservedUsernames: string[];
  /** Real password-flow logins get no refresh token; turn this on to exercise the refresh_token grant. */
  issueRefreshTokens: boolean;
  /** Start from this org (a `snapshot()` of an earlier run) instead of a freshly seeded one. */
  restore?: OrgSnapshot;
  /** Called after each answered write request (to save a snapshot). */
  onChange?: () => void;
  /** Records per query page unless Sforce-Query-Options asks for fewer; Salesforce's default is 2000. */
  queryBatchSize: number;
  /** Seats per licence ("Salesforce", "Chatter Free"); unlimited when absent. */
  licenses: Record<string, number>;
  /** Reply to DELETE of a User, which Salesforce does not allow; the exact real reply is unverified. */
  userDeleteError: RestError & { status: number };
  /** A changed Email is held until the user confirms it, as Salesforce does (off by default). */
  emailChangeNeedsConfirmation: boolean;
  /** Clock for session expiry and timestamps; tests pass a fake one. */
  now: () => number;
  /** Random source for fault injection. */
  random: () => number;
}

export const SALESFORCE_EMULATOR_DEFAULTS: SalesforceEmulatorOptions = {
  port: 0,
  host: "127.0.0.1",
  clientId: "3MVG9scimbridge.demo.consumer.key",
  clientSecret: "demo-consumer-secret",
  username: "integration@scim-bridge.example",
  password: "DemoPassw0rd!",
  securityToken: "DemoSecurityToken42",
  reservedUsernames: ["taken@another-org.example"],
  issueRefreshTokens: false,
  queryBatchSize: 2000,
  licenses: {},
  emailChangeNeedsConfirmation: false,
  userDeleteError: {
    status: 400,
    errorCode: "INVALID_TYPE_FOR_OPERATION",
    message: "entity type cannot be deleted",
    fields: [],
  },
  latencyMs: 0,
  errorRate: 0,
  timeoutRate: 0,
  apiBudget: 100_000,
  sessionTtlS: 7200,
  now: () => Date.now(),
  random: () => Math.random(),
};
