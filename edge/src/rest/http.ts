import type { NodeRequest, NodeResponse } from "#kit/rpc/server.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { toRestError, type RestError } from "#kit/errors/connect-errors.js";
import { ERROR_TABLE, type ErrorKey } from "#kit/errors/error-table.js";

/** The largest body the REST API reads (Binance requests are a few hundred bytes). */
export const MAX_BODY_BYTES = 64 * 1024;
/**
 * How much of a larger body is still read (and dropped) so that the connection stays usable for the
 * next request; past it the answer carries `Connection: close` and the connection ends after it.
 */
export const MAX_DRAINED_BODY_BYTES = 1024 * 1024;

/** One REST call as the routes see it: method, path, the raw query string and body, parsed parameters. */
export interface RestRequest {
  readonly method: string;
  readonly path: string;
  /** The query string exactly as sent, without the leading "?". */
  readonly rawQuery: string;
  /** The x-www-form-urlencoded body exactly as sent ("" for none). */
  readonly rawBody: string;
  /** Query and body parameters (body wins on a clash, like Binance). */
  readonly params: URLSearchParams;
  readonly headers: NodeRequest["headers"];
  readonly clientIp: string;
}

export interface RestResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A failure the edge itself detects: a row of the error table with a message. */
export function restFailure(key: ErrorKey, msg?: string): DomainError {
  return new DomainError(key, msg);
}

/**
 * A Binance error answer that carries more than {code, msg}: order/cancelReplace's -2021 and
 * -2022 add `data` (what happened to each half).
 */
export class RestAnswerError extends Error {
  constructor(
    readonly status: number,
    readonly body: { code: number; msg: string; data?: unknown },
  ) {
    super(body.msg);
    this.name = "RestAnswerError";
  }
}

/** A body over MAX_BODY_BYTES: 413 with Binance's -1130; `close` when the rest of it was left unread. */
export class BodyTooLargeError extends RestAnswerError {
  constructor(readonly close: boolean) {
    super(413, { code: ERROR_TABLE.INVALID_PARAMETER.binance, msg: `Request body is too large; at most ${MAX_BODY_BYTES} bytes.` });
    this.name = "BodyTooLargeError";
  }
}

/**
 * Reads the body (bounded), as text. An oversize body is read to its end and dropped (up to
 * MAX_DRAINED_BODY_BYTES), never abandoned mid-read: destroying the request would reset the socket
 * under a keep-alive client, killing the answer and the next request on that connection.
 */
export function readBody(request: NodeRequest): Promise<string> {
  const declared = Number(request.headers["content-length"]);
  if (declared > MAX_DRAINED_BODY_BYTES) return Promise.reject(new BodyTooLargeError(true));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (error?: Error) => {
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("error", onError);
      request.off("close", onClose);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks).toString("utf8"));
    };
    const onData = (chunk: Buffer | string) => {
      size += chunk.length;
      if (size > MAX_DRAINED_BODY_BYTES) {
        request.pause();
        done(new BodyTooLargeError(true));
      } else if (size <= MAX_BODY_BYTES) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
    };
    const onEnd = () => done(size > MAX_BODY_BYTES ? new BodyTooLargeError(false) : undefined);
    const onError = (error: Error) => done(error);
    const onClose = () => done(new Error("the request closed before its body ended"));
    request.on("data", onData);
    request.on("end", onEnd);
    request.on("error", onError);
    request.on("close", onClose);
  });
}

/** Any error (the edge's own DomainError or a service's ConnectError) as HTTP status + Binance {code, msg}. */
export function restErrorOf(error: unknown): RestError {
  if (error instanceof RestAnswerError) return { status: error.status, body: error.body };
  if (error instanceof DomainError) return { status: error.spec.http, body: { code: error.spec.binance, msg: error.message } };
  return toRestError(error);
}

/** Ids (uint64 on the wire) as JSON numbers, like Binance; exact up to 2^53, which ids stay below. */
export function idNumber(id: bigint): number {
  if (id > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`id ${id} does not fit a JSON number exactly`);
  return Number(id);
}

/** Writes a JSON answer. */
export function sendJson(response: NodeResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = JSON.stringify(body, (_key, value: unknown) => (typeof value === "bigint" ? idNumber(value) : value));
  response.writeHead(status, { "content-type": "application/json;charset=UTF-8", "content-length": String(Buffer.byteLength(text)), ...headers });
  response.end(text);
}
