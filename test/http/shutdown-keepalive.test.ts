// A rolling restart under write load: SIGTERM while 8 clients keep their connections alive. Every request is either
// answered (a response, with Connection: close once shutdown began) or refused when it connects; none is cut by a
// reset, which would leave the client not knowing whether its write happened.
import { Agent, request } from "node:http";
import { describe, expect, it } from "vitest";
import { user } from "../support/app.ts";
import { spawnBridge } from "../support/process.ts";

const TOKEN = "shutdown-test-token-0123456789";
const CLIENTS = 8;

type Result = { answered: true; status: number; closing: boolean } | { answered: false; code: string };

function post(url: string, agent: Agent, userName: string): Promise<Result> {
  const body = JSON.stringify(user(userName));
  return new Promise((resolve) => {
    const req = request(
      `${url}/scim/v2/Users`,
      {
        method: "POST",
        agent,
        headers: {
          Authorization: `Bearer ${TOKEN}`,
          "Content-Type": "application/scim+json",
          "Content-Length": Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on("end", () =>
          resolve({
            answered: true,
            status: res.statusCode ?? 0,
            closing: res.headers.connection === "close",
          }),
        );
        res.on("error", (e: NodeJS.ErrnoException) =>
          resolve({ answered: false, code: e.code ?? e.message }),
        );
      },
    );
    req.on("error", (e: NodeJS.ErrnoException) => resolve({ answered: false, code: e.code ?? e.message }));
    req.end(body);
  });
}

describe("rolling restart", () => {
  it("answers or refuses at connect every request racing a SIGTERM on kept-alive connections", async () => {
    const proc = await spawnBridge({ token: TOKEN, config: {}, env: { RATE_LIMIT_PER_MINUTE: "1000000" } });
    const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
    const results: Result[] = [];
    let answered = 0;
    let signalled = false;
    try {
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, c) => {
          for (let i = 0; ; i++) {
            const r = await post(proc.url, agent, `c${c}-${i}@example.com`);
            results.push(r);
            if (!r.answered) return; // refused (or cut): this client's work is over
            if (++answered === 200 && !signalled) {
              signalled = true;
              proc.child.kill("SIGTERM");
            }
          }
        }),
      );
      expect(await proc.exited).toBe(0);
    } finally {
      agent.destroy();
      if (proc.child.exitCode === null) proc.child.kill("SIGKILL");
    }
    const cut = results.filter((r) => !r.answered && r.code !== "ECONNREFUSED");
    expect(cut).toEqual([]);
    expect(results.filter((r) => r.answered && r.status !== 201)).toEqual([]);
    // Every client ended on a refused connection, and some answers during shutdown said the connection closes.
    expect(results.filter((r) => !r.answered)).toHaveLength(CLIENTS);
    expect(results.some((r) => r.answered && r.closing)).toBe(true);
  }, 60_000);
});
