import type { NodeRequest, NodeResponse } from "#kit/rpc/server.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { toRestError, type RestError } from "#kit/errors/connect-errors.js";
import type { ErrorKey } from "#kit/errors/error-table.js";

/** The largest body the REST API reads (Binance requests are a few hundred bytes). */
export const MAX_BODY_BYTES = 64 * 1024;

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

/** Reads the body (bounded), as text. */
export async function readBody(request: NodeRequest): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer | string>) {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new DomainError("INVALID_PARAMETER", "Request body is too large.");
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
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
