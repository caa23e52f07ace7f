// The README's advice for PostgreSQL on the same host: DATABASE_URL naming its Unix socket directory
// (`?host=/var/run/postgresql`) is accepted by the configuration and serves the store like a TCP URL.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.ts";
import { openStore, pingStore } from "../../src/store/index.ts";

const SOCKET_DIR = "/var/run/postgresql";
const tcp = process.env.DATABASE_URL;
const reachable = !!tcp && existsSync(`${SOCKET_DIR}/.s.PGSQL.${new URL(tcp).port || "5432"}`);
if (tcp && !reachable) console.info(`unix-socket: no PostgreSQL socket in ${SOCKET_DIR}, skipping`);

describe.runIf(reachable)("DATABASE_URL over PostgreSQL's Unix socket", () => {
  it("is accepted by the configuration and serves the store", async () => {
    const u = new URL(tcp!);
    u.hostname = "localhost";
    u.searchParams.set("host", SOCKET_DIR);
    const config = loadConfig({ DATABASE_URL: u.toString(), SCIM_BEARER_TOKEN: "0123456789abcdef0123" });
    expect(config.databaseUrl).toBe(u.toString());
    const db = await openStore({ databaseUrl: config.databaseUrl!, dataDir: "unused", migrate: false });
    try {
      await pingStore(db);
      const { rows } = await db.query<{ over: string | null }>("SELECT inet_server_addr()::text AS over");
      // No server address: the session runs over a Unix socket, not TCP.
      expect(rows[0]?.over).toBeNull();
    } finally {
      await db.close();
    }
  });
});
