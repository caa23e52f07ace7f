// The load generator of bench/scim.ts, run in a child process: one autocannon run per scenario.
import autocannon from "autocannon";

export interface Scenario {
  name: string;
  kind:
    | "createUser"
    | "filterUser"
    | "getUser"
    | "patchUser"
    | "page"
    | "addMember"
    | "plainGet"
    | "plainPost";
  url: string;
  token: string;
  /** The whole Authorization header, instead of the bearer token. */
  authorization?: string;
  seconds: number;
  connections: number;
  users?: number;
  ids?: string[];
  groupId?: string;
}

export interface ScenarioResult {
  rps: number;
  p50: number;
  p99: number;
  /** Answers other than 2xx, connection errors and timeouts included. */
  non2xx: number;
  /** 2xx answers. */
  ok: number;
}

/**
 * Throws when most of a scenario's answers are not 2xx: a rate of 404s or 401s measures nothing (a PATCH of ids that
 * were never loaded answered 404s at full speed, and looked like a figure).
 */
export function checkAnswers(name: string, r: ScenarioResult): ScenarioResult {
  if (r.non2xx >= r.ok)
    throw new Error(
      `${name}: ${r.non2xx} of ${r.ok + r.non2xx} answers were not 2xx (errors and timeouts included); ` +
        "the scenario measured failures, not the server",
    );
  return r;
}

const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";

type Req = { method?: string; path?: string; body?: string; headers?: Record<string, string> };

function requestFor(s: Scenario): (req: Req) => Req {
  let n = 0;
  const pick = <T>(list: T[]) => list[n++ % list.length]!;
  const tag = `${process.pid}-${Date.now()}`;
  switch (s.kind) {
    case "createUser":
      return (req) => {
        const userName = `new${tag}-${n++}@bench.example.com`;
        return {
          ...req,
          method: "POST",
          path: "/scim/v2/Users",
          body: JSON.stringify({
            schemas: [CORE],
            userName,
            name: { givenName: "New", familyName: "User" },
            emails: [{ value: userName, type: "work", primary: true }],
            active: true,
          }),
        };
      };
    case "filterUser":
      return (req) => {
        const i = Math.floor(Math.random() * s.users!);
        return {
          ...req,
          path: `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "user${i}@bench.example.com"`)}`,
        };
      };
    case "getUser":
      return (req) => ({ ...req, path: `/scim/v2/Users/${pick(s.ids!)}` });
    case "patchUser":
      return (req) => ({
        ...req,
        method: "PATCH",
        path: `/scim/v2/Users/${pick(s.ids!)}`,
        body: JSON.stringify({
          schemas: [PATCH],
          Operations: [
            process.env.BENCH_PATCH === "email"
              ? {
                  op: "replace",
                  path: 'emails[type eq "work"].value',
                  value: `renamed-${tag}-${n}@bench.example.com`,
                }
              : { op: "replace", path: "displayName", value: `Renamed ${tag} ${n}` },
          ],
        }),
      });
    case "page":
      return (req) => {
        const start = 1 + Math.floor(Math.random() * 100) * 100;
        return { ...req, path: `/scim/v2/Users?startIndex=${start}&count=100` };
      };
    case "addMember":
      return (req) => ({
        ...req,
        method: "PATCH",
        path: `/scim/v2/Groups/${s.groupId}`,
        body: JSON.stringify({
          schemas: [PATCH],
          Operations: [{ op: "add", path: "members", value: [{ value: pick(s.ids!) }] }],
        }),
      });
    case "plainGet":
      return (req) => ({ ...req, path: "/json" });
    case "plainPost":
      return (req) => ({
        ...req,
        method: "POST",
        path: "/json",
        body: JSON.stringify({ schemas: [CORE], userName: `plain${n++}@example.com`, active: true }),
      });
  }
}

export async function runClient(s: Scenario): Promise<ScenarioResult> {
  const result = await autocannon({
    url: s.url,
    connections: s.connections,
    duration: s.seconds,
    headers: {
      authorization: s.authorization ?? `Bearer ${s.token}`,
      "content-type": "application/scim+json",
    },
    requests: [{ setupRequest: requestFor(s) as never }],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx + result.errors,
    ok: result["2xx"],
  };
}
