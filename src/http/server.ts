// The HTTP server around the Express app: requests Node rejects before Express sees them (bad chunking,
// Content-Length with Transfer-Encoding, oversize headers, an Expect it cannot meet) still get a SCIM error body.
import { type Server, STATUS_CODES } from "node:http";
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

/** Installs the SCIM answers to malformed HTTP on a server (call once, right after it is created). */
export function protectServer(server: Server): Server {
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
