// A bridge app on a test store, driven through supertest (real HTTP on an ephemeral port).
import type { Server } from "node:http";
import { Writable } from "node:stream";
import { pino } from "pino";
import supertest from "supertest";
import { type ScimCredentialInput, ScimCredentialsSchema } from "../../src/config/scim-auth.ts";
import { Directory } from "../../src/directory/index.ts";
import { createApp } from "../../src/http/app.ts";
import { AuthFailureLimiter } from "../../src/http/auth.ts";
import { CredentialSet, ScimAuth } from "../../src/http/scim-auth/index.ts";
import { protectServer } from "../../src/http/server.ts";
import { bridgeSchemaSet } from "../../src/schemas.ts";
import { type Backend, openTestDb, type TestDb } from "./store.ts";

export const TOKEN = "test-token-0123456789abcdef";
export const AUTH = { Authorization: `Bearer ${TOKEN}` };

export interface TestApp {
  request: ReturnType<typeof supertest>;
  directory: Directory;
  store: TestDb;
  /** Everything the app logged, one JSON line each. */
  logs: string[];
  /** The listening server's port on 127.0.0.1 (for raw-socket tests). */
  port: number;
  close(): Promise<void>;
}

export async function createTestApp(
  opts: {
    backend?: Backend;
    rateLimitPerMinute?: number;
    authFailuresPerMinute?: number;
    bodyLimit?: string;
    tokens?: { name: string; token: string }[];
    statementTimeoutMs?: number;
    /** Named SCIM credentials (auth.scim), beside `tokens`. */
    auth?: ScimCredentialInput[];
    trustProxy?: boolean;
  } = {},
): Promise<TestApp> {
  const store = await openTestDb(
    opts.backend,
    opts.statementTimeoutMs !== undefined ? { statementTimeoutMs: opts.statementTimeoutMs } : {},
  );
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const logger = pino({ level: "debug" }, sink);
  const directory = new Directory(store.db, bridgeSchemaSet());
  const tokens = opts.tokens ?? [{ name: "test", token: TOKEN }];
  const configs = ScimCredentialsSchema.parse(opts.auth ?? []);
  const app = createApp({
    scimAuth: new ScimAuth({ credentials: new CredentialSet(configs, tokens), configs, db: store.db }),
    ...(opts.trustProxy ? { trustProxy: true } : {}),
    directory,
    logger,
    tokens: () => tokens,
    bodyLimit: opts.bodyLimit ?? "1mb",
    rateLimitPerMinute: opts.rateLimitPerMinute ?? 100_000,
    authLimiter: new AuthFailureLimiter(opts.authFailuresPerMinute ?? 30),
    filterMaxResults: 1000,
  });
  // One listening server for the whole suite, so meta.location (which carries the port) is stable.
  const server = await new Promise<Server>((resolve) => {
    const s = protectServer(app.listen(0, "127.0.0.1", () => resolve(s)));
  });
  return {
    request: supertest(server),
    port: (server.address() as { port: number }).port,
    directory,
    store,
    logs,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await store.close();
    },
  };
}

export const scimJson = "application/scim+json";

export function user(userName: string, extra: Record<string, unknown> = {}) {
  return {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
    userName,
    name: { givenName: "Test", familyName: userName.split("@")[0] },
    emails: [
      { value: userName.includes("@") ? userName : `${userName}@example.com`, type: "work", primary: true },
    ],
    active: true,
    ...extra,
  };
}

/**
 * POSTs a user `${name}@example.com` for each name, one after another, with the given Authorization header (this
 * app's AUTH or a bridge's); their SCIM ids, in the same order.
 */
export async function postUsers(
  request: ReturnType<typeof supertest>,
  auth: { Authorization: string },
  names: string[],
): Promise<string[]> {
  const ids: string[] = [];
  for (const n of names)
    ids.push(
      (
        await request
          .post("/scim/v2/Users")
          .set(auth)
          .send(user(`${n}@example.com`))
      ).body.id,
    );
  return ids;
}
