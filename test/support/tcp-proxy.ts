// A TCP proxy between the bridge and PostgreSQL that can cut every connection and refuse new ones for a while, as
// a failover, a pooler restart or a network partition does to the bridge's database connections.
import { createServer, type Server, type Socket } from "node:net";

export interface TcpProxy {
  /** host:port the proxy listens on (127.0.0.1). */
  readonly port: number;
  /** Connections passed through so far. */
  readonly connections: number;
  /** Destroys every open connection (both sides) and refuses new ones until `restore`. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(upstream: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let refusing = false;
  let connections = 0;
  const server: Server = createServer((client) => {
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    connections++;
    const up = new (client.constructor as typeof Socket)();
    open.add(client);
    open.add(up);
    const drop = () => {
      client.destroy();
      up.destroy();
      open.delete(client);
      open.delete(up);
    };
    client.on("error", drop).on("close", drop);
    up.on("error", drop).on("close", drop);
    up.connect(upstream.port, upstream.host, () => {
      client.pipe(up);
      up.pipe(client);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    get connections() {
      return connections;
    },
    cut() {
      refusing = true;
      for (const s of open) s.resetAndDestroy();
      open.clear();
    },
    restore() {
      refusing = false;
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
