// bin/node22 bench/validation.ts — CPU per inbound User validation, compiled plan (validateUser) beside scimmy's
// path alone (validateUserWithScimmy), on the bench's POST body and on Okta's and Entra's create bodies. In-process
// CPU time, so the figure holds on a shared machine where req/s does not.
import { declareBridgeSchemas } from "../src/schemas.ts";
import { normaliseResourceBody } from "../src/scim/dialects.ts";
import { validateUser, validateUserWithScimmy } from "../src/scim/resource-codec.ts";
import { CORE_USER, ENTERPRISE_USER } from "../src/scim/schemas.ts";

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 20_000);

const bodies: Record<string, Record<string, unknown>> = {
  "bench POST": {
    schemas: [CORE_USER],
    userName: "user1@bench.example.com",
    name: { givenName: "Bench", familyName: "User 1" },
    displayName: "Bench User 1",
    emails: [{ value: "user1@bench.example.com", type: "work", primary: true }],
    active: true,
  },
  "Okta create": {
    schemas: [CORE_USER],
    userName: "test.user@okta.local",
    name: { givenName: "Test", familyName: "User" },
    emails: [{ primary: true, value: "test.user@okta.local", type: "work" }],
    displayName: "Test User",
    locale: "en-US",
    externalId: "00ujl29u0le5T6Aj10h7",
    groups: [],
    password: "1mz050nq",
    active: true,
  },
  "Entra create (enterprise)": {
    schemas: [CORE_USER, ENTERPRISE_USER],
    externalId: "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4e1",
    userName: "adele@contoso.example",
    active: true,
    emails: [{ primary: true, type: "work", value: "adele@contoso.example" }],
    meta: { resourceType: "User" },
    name: { formatted: "Adele Vance", familyName: "Vance", givenName: "Adele" },
    title: "Retail Manager",
    [ENTERPRISE_USER]: { employeeNumber: "1001", department: "Retail" },
  },
};

function cpuPerCall(fn: (body: unknown) => unknown, body: unknown): number {
  for (let i = 0; i < 2_000; i++) fn(body);
  const t0 = process.cpuUsage();
  for (let i = 0; i < ITERATIONS; i++) fn(body);
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / ITERATIONS;
}

declareBridgeSchemas();
console.log("| body | scimmy µs CPU/call | compiled µs CPU/call | ratio |\n|---|---|---|---|");
for (const [name, raw] of Object.entries(bodies)) {
  const body = normaliseResourceBody(raw);
  const slow = cpuPerCall(validateUserWithScimmy, body);
  const fast = cpuPerCall(validateUser, body);
  console.log(`| ${name} | ${slow.toFixed(1)} | ${fast.toFixed(1)} | ${(slow / fast).toFixed(0)}× |`);
}
