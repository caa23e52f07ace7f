// The embedded PGlite store admits one process: when a bridge already serves this configuration, the CLI asks it
// (admin API, with the admin token from configuration or the data directory) instead of opening the store.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config/index.ts";

export interface RunningServer {
  url: string;
  call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T>;
}

export function adminToken(config: Config): string | undefined {
  // With the break-glass token switched off, a named admin token that may act (and whose secret is configured).
  if (!config.auth.admin.breakGlass)
    return config.auth.admin.tokens.find((t) => t.token && t.role !== "viewer")?.token;
  const configured = config.adminTokens[0]?.token;
  if (configured) return configured;
  const file = join(config.dataDir, "admin-token");
  return existsSync(file) ? readFileSync(file, "utf8").trim() : undefined;
}

/** The bridge listening at the configured host and port, if one answers its admin API; undefined if none. */
export async function findRunningServer(
  config: Config,
  timeoutMs = 1500,
): Promise<RunningServer | undefined> {
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${config.port}`;
  const token = adminToken(config);
  const call = async <T>(
    method: "GET" | "POST",
    path: string,
    body?: unknown,
    timeout?: number,
  ): Promise<T> => {
    const res = await fetch(`${url}/admin${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token ?? ""}`,
        ...(body ? { "Content-Type": "application/json" } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
      ...(timeout ? { signal: AbortSignal.timeout(timeout) } : {}),
    });
    const text = await res.text();
    if (!res.ok) {
      let detail = text;
      try {
        detail = (JSON.parse(text) as { detail?: string }).detail ?? text;
      } catch {}
      throw new Error(`the running bridge at ${url} answered ${res.status}: ${detail}`);
    }
    return JSON.parse(text) as T;
  };
  try {
    await call("GET", "/queue", undefined, timeoutMs);
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    if (cause === "ECONNREFUSED" || (e as Error).name === "TimeoutError") return undefined;
    if ((e as Error).message.includes("answered 401"))
      throw new Error(
        `a bridge is running at ${url} but refused the admin token; set ADMIN_TOKEN to its admin token (kept in ${join(config.dataDir, "admin-token")}), or configure a named admin token of the role operator`,
      );
    return undefined;
  }
  return { url, call: (m, p, b) => call(m, p, b) };
}
