// The HTTP server around the Express app: requests Node rejects before Express sees them (bad chunking,
// Content-Length with Transfer-Encoding, oversize headers, an Expect it cannot meet) still get a SCIM error body;
// and a shutdown that answers every request it read (closeGracefully).
import { type Server, type ServerResponse, STATUS_CODES } from "node:http";
import { Server as NetServer } from "node:net";
import type { Duplex } from "node:stream";
import { BridgeError, type ErrorCode } from "../errors.ts";
import { scimErrorBody } from "../scim/errors.ts";
import { SCIM_CONTENT_TYPE } from "./errors.ts";

function clientErrorOf(code: string | undefined): BridgeError {
  const [errorCode, detail]: [ErrorCode, string] =
    code === "HPE_HEADER_OVERFLOW"
      ? ["SCIM_HEADERS_TOO_LARGE", "The request's headers are too large"]
      : code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? ["SCIM_REQUEST_TIMEOUT", "The request was not received in time"]
        : [
            "SCIM_INVALID_SYNTAX",
            "The request is not valid HTTP/1.1 (check Content-Length, Transfer-Encoding and chunking)",
          ];
  return new BridgeError(errorCode, detail);
}

function rawResponse(e: BridgeError): string {
  const body = JSON.stringify(scimErrorBody(e.status, e.message, e.scimType));
  return (
    `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status]}\r\nContent-Type: ${SCIM_CONTENT_TYPE}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

/** Per protected server: the responses not yet finished, and whether shutdown has begun. */
const tracked = new WeakMap<Server, { open: Set<ServerResponse>; closing: boolean }>();

/**
 * Installs the SCIM answers to malformed HTTP on a server, and what closeGracefully needs (call once, right after
 * the server is created).
 */
export function protectServer(server: Server): Server {
  const state = { open: new Set<ServerResponse>(), closing: false };
  tracked.set(server, state);
  // Before the app's listener, so that even an answer written at once says the connection closes.
  server.prependListener("request", (_req, res: ServerResponse) => {
    if (state.closing) res.shouldKeepAlive = false;
    state.open.add(res);
    res.once("close", () => state.open.delete(res));
  });
  server.on("clientError", (err: Error & { code?: string }, socket: Duplex) => {
    // A reset connection has no one to answer; a response already under way cannot be replaced.
    const busy = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
    if (err.code === "ECONNRESET" || !socket.writable || busy) return void socket.destroy();
    socket.end(rawResponse(clientErrorOf(err.code)));
  });
  server.on("checkExpectation", (req, res) => {
    const e = new BridgeError(
      "SCIM_EXPECTATION_FAILED",
      `Expect: ${String(req.headers.expect).slice(0, 40)} is not supported; only 100-continue is`,
    );
    const body = JSON.stringify(scimErrorBody(e.status, e.message, e.scimType));
    res.writeHead(e.status, {
      "Content-Type": SCIM_CONTENT_TYPE,
      "Content-Length": Buffer.byteLength(body),
      Connection: "close",
    });
    res.end(body);
  });
  return server;
}

/**
 * Stops accepting connections, answers every request already read or still arriving on a kept-alive connection with
 * `Connection: close` (Node then closes that connection after the answer), and resolves once every connection is
 * closed. An idle kept-alive connection is not closed at once, as Node's own close() does: the client may be sending
 * its next request at that very moment, which a close would cut with a reset (the client cannot tell whether its
 * write happened). It closes after its next answer, or when it stays idle for the keep-alive timeout the client was
 * told in every answer (`Keep-Alive: timeout=…`), which clients honour by not reusing it that late. After
 * `hardStopMs`, whatever is left is closed.
 */
export function closeGracefully(server: Server, hardStopMs: number): Promise<void> {
  const state = tracked.get(server);
  if (state) {
    state.closing = true;
    for (const res of state.open) if (!res.headersSent) res.shouldKeepAlive = false;
  }
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), hardStopMs);
    timer.unref();
    // net.Server's close: stop listening, and call back once the last connection has ended.
    NetServer.prototype.close.call(server, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
