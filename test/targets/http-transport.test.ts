// The targets' HTTP exchange (shared/http.ts) against a server that misbehaves as networks and gateways do: what
// reaches the dispatcher (the target's error, a timeout, a dropped connection) must say what happened, and a redirect
// must not be followed silently to another address.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { retryPolicy } from "../../src/sync/retry.ts";
import { SalesforceTargetConfig } from "../../src/targets/salesforce/config.ts";
import { createSalesforceTarget } from "../../src/targets/salesforce/index.ts";
import { createScimTarget, ScimTargetConfig } from "../../src/targets/scim/index.ts";
import { TableauClient } from "../../src/targets/tableau/client/request.ts";
import { TableauTargetConfig } from "../../src/targets/tableau/config.ts";
import { TableauError } from "../../src/targets/tableau/index.ts";

let server: Server | undefined;
const seen: string[] = [];
const agents: (string | undefined)[] = [];

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
  seen.length = 0;
  agents.length = 0;
});

/** A local server answering with `handler`: its base URL. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    agents.push(req.headers["user-agent"]);
    handler(req, res);
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A Tableau client of a local server; one attempt per call, so each failure shows as it is. */
async function clientOf(handler: (req: IncomingMessage, res: ServerResponse) => void, timeoutMs = 5_000) {
  const serverUrl = await serve(handler);
  const config = TableauTargetConfig.parse({
    name: "tableau-transport",
    kind: "tableau",
    serverUrl,
    auth: { pat: { name: "n", secret: "s" } },
    timeoutMs,
  });
  return new TableauClient(config, { retry: retryPolicy, maxAttempts: 1 });
}

/** The error the first call (serverInfo, the version probe) fails with. */
async function failure(client: TableauClient): Promise<TableauError> {
  const e = await client.apiVersion().then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TableauError);
  return e as TableauError;
}

describe("the Tableau client's HTTP exchange", () => {
  it("reads the API version from serverInfo (the exchange works)", async () => {
    const client = await clientOf((_req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ serverInfo: { restApiVersion: "3.22" } }));
    });
    expect(await client.apiVersion()).toBe("3.22");
    expect(seen).toEqual(["GET /api/3.0/serverInfo"]);
    // Some gateways refuse a request without one.
    expect(agents).toEqual(["scim-bridge"]);
  });

  it("does not follow a redirect: the error names the address to configure instead", async () => {
    const client = await clientOf((req, res) => {
      if (req.url?.startsWith("/elsewhere")) {
        res.end(JSON.stringify({ serverInfo: { restApiVersion: "3.22" } }));
        return;
      }
      res.writeHead(301, { location: "https://tableau.example.com/api/3.0/serverInfo" }).end();
    });
    const e = await failure(client);
    expect(e.status).toBe(301);
    expect(e.detail).toBe(
      "Tableau answered from another address (https://tableau.example.com/api/3.0/serverInfo): set the target's serverUrl to it",
    );
    expect(seen).toEqual(["GET /api/3.0/serverInfo"]);
  });

  it("a redirect says where to, whatever its body says", async () => {
    const client = await clientOf((_req, res) => {
      res.writeHead(308, { "content-type": "application/json", location: "https://tableau.example.com/" });
      res.end(JSON.stringify({ error: { code: "308000", summary: "Moved", detail: "see elsewhere" } }));
    });
    const e = await failure(client);
    expect([e.status, e.detail]).toEqual([
      308,
      "Tableau answered from another address (https://tableau.example.com/): set the target's serverUrl to it",
    ]);
  });

  it("keeps Tableau's error code and the answer's headers (Retry-After) for the retry decision", async () => {
    const client = await clientOf((_req, res) => {
      res.writeHead(429, { "content-type": "application/json", "retry-after": "7" });
      res.end(
        JSON.stringify({ error: { code: "429000", summary: "Too many requests", detail: "slow down" } }),
      );
    });
    const e = await failure(client);
    expect([e.status, e.code, e.detail, e.headers.get("retry-after")]).toEqual([
      429,
      "429000",
      "slow down",
      "7",
    ]);
  });

  it("a connection closed before any answer is a network error that says so", async () => {
    const client = await clientOf((req) => req.socket.destroy());
    const e = await failure(client);
    expect([e.status, e.code]).toEqual([0, "NETWORK_ERROR"]);
    expect(e.detail).toMatch(/closed|reset|socket/i);
  });

  it("a server that never answers is a timeout after timeoutMs, naming the call", async () => {
    const client = await clientOf(() => undefined, 200);
    const e = await failure(client);
    expect([e.status, e.code, e.detail]).toEqual([
      0,
      "TIMEOUT",
      "no answer from Tableau within 200 ms (GET /api/3.0/serverInfo)",
    ]);
  });

  it("an answer whose body stops half-way is a network error, not a JSON parse failure", async () => {
    const client = await clientOf((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
      res.write('{"serverInfo":');
      setImmediate(() => res.socket?.destroy());
    });
    const e = await failure(client);
    expect(e.code).toBe("NETWORK_ERROR");
  });
});

describe("the SCIM peer's HTTP exchange", () => {
  it("does not follow a redirect: the delivery fails naming the address to configure", async () => {
    const url = await serve((_req, res) =>
      res.writeHead(307, { location: "https://scim.example.com/scim/v2/ServiceProviderConfig" }).end(),
    );
    const target = createScimTarget(
      ScimTargetConfig.parse({ name: "peer", kind: "scim", url, auth: { bearer: { token: "t" } } }),
      { retry: retryPolicy },
    );
    const [outcome] = await target.apply([
      {
        kind: "user.upsert",
        key: "u1",
        user: { scimId: "u1", data: { userName: "ann@example.com" }, active: true, groups: [] },
      },
    ]);
    expect(outcome).toMatchObject({
      status: "failed",
      message:
        "The SCIM peer answered from another address (https://scim.example.com/scim/v2/ServiceProviderConfig): set the target's url to it",
    });
  });
});

describe("a token endpoint's redirect", () => {
  it("Salesforce: the delivery says the login URL to configure, not only that the login was refused", async () => {
    const loginUrl = await serve((_req, res) =>
      res.writeHead(301, { location: "https://acme.my.salesforce.com/services/oauth2/token" }).end(),
    );
    const target = createSalesforceTarget(
      SalesforceTargetConfig.parse({
        name: "sf",
        kind: "salesforce",
        loginUrl,
        auth: { password: { clientId: "c", clientSecret: "s", username: "u", password: "p" } },
      }),
      { retry: retryPolicy },
    );
    const [outcome] = await target.apply([
      {
        kind: "user.upsert",
        key: "u1",
        user: { scimId: "u1", data: { userName: "ann@example.com" }, active: true, groups: [] },
      },
    ]);
    expect(outcome?.status).toBe("retry");
    expect(outcome?.status !== "done" && outcome?.message).toContain(
      "The token endpoint answered from another address (https://acme.my.salesforce.com/services/oauth2/token): set the target's loginUrl to it",
    );
  });

  it("a SCIM peer: the delivery says the token URL to configure", async () => {
    const base = await serve((req, res) =>
      req.url === "/token"
        ? res.writeHead(308, { location: "https://login.example.com/oauth2/token" }).end()
        : res.writeHead(500).end(),
    );
    const target = createScimTarget(
      ScimTargetConfig.parse({
        name: "peer",
        kind: "scim",
        url: `${base}/scim/v2`,
        auth: {
          clientCredentials: { tokenUrl: `${base}/token`, clientId: "bridge", clientSecret: "s3cret" },
        },
      }),
      { retry: retryPolicy },
    );
    const [outcome] = await target.apply([
      {
        kind: "user.upsert",
        key: "u1",
        user: { scimId: "u1", data: { userName: "ann@example.com" }, active: true, groups: [] },
      },
    ]);
    expect(outcome?.status !== "done" && outcome?.message).toContain(
      "answered from another address (https://login.example.com/oauth2/token): set the target's tokenUrl to it",
    );
  });
});
