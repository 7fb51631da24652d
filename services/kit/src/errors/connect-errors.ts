import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema, type ErrorInfo, type BadRequest } from "#gen/google/rpc/error_details_pb.js";
import { DomainError } from "./domain-error.js";
import { ERROR_TABLE, httpStatusForCode } from "./error-table.js";

export const ERROR_DOMAIN = "exchange";

/** Turns a domain error into a ConnectError carrying ErrorInfo (reason = Binance code) and BadRequest. */
export function toConnectError(error: DomainError): ConnectError {
  const info = create(ErrorInfoSchema, {
    reason: String(error.spec.binance),
    domain: ERROR_DOMAIN,
    metadata: { ...error.metadata, key: error.key, httpStatus: String(error.spec.http) },
  });
  const details: { desc: typeof ErrorInfoSchema | typeof BadRequestSchema; value: ErrorInfo | BadRequest }[] = [
    { desc: ErrorInfoSchema, value: info },
  ];
  if (error.violations.length > 0) {
    details.push({
      desc: BadRequestSchema,
      value: create(BadRequestSchema, { fieldViolations: error.violations.map((v) => ({ ...v })) }),
    });
  }
  return new ConnectError(error.message, error.spec.grpc, undefined, details, error);
}

/**
 * Server interceptor: domain errors thrown by handlers leave as ConnectErrors with details. An
 * error a handler got from a service it called is passed on with its code, message and details
 * but without that call's response headers, which are not ours to send. A server stream's handler
 * runs while its messages are read, after this returned: its errors are mapped the same way there.
 */
export function domainErrorInterceptor(): Interceptor {
  return (next) => async (request) => {
    try {
      const response = await next(request);
      if (!response.stream) return response;
      return { ...response, message: mappedErrors(response.message) };
    } catch (error) {
      throw outgoingError(error);
    }
  };
}

async function* mappedErrors<T>(messages: AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (error) {
    throw outgoingError(error);
  }
}

/** An error as a server sends it on: a domain error with its details, a callee's error without the callee's headers. */
export function outgoingError(error: unknown): unknown {
  if (error instanceof DomainError) return toConnectError(error);
  if (error instanceof ConnectError && [...error.metadata.keys()].length > 0) {
    return new ConnectError(error.rawMessage, error.code, undefined, error.details as ConstructorParameters<typeof ConnectError>[3], error.cause);
  }
  return error;
}

/** What the REST edge sends for any error: HTTP status and Binance's {code, msg}. */
export interface RestError {
  readonly status: number;
  readonly body: { code: number; msg: string };
}

/** Reads the Binance code and HTTP status back from a ConnectError (as received from a service). */
export function toRestError(error: unknown): RestError {
  const connectError = ConnectError.from(error);
  const [info] = connectError.findDetails(ErrorInfoSchema);
  if (info && info.domain === ERROR_DOMAIN) {
    const status = Number(info.metadata.httpStatus) || httpStatusForCode(connectError.code);
    return { status, body: { code: Number(info.reason), msg: connectError.rawMessage } };
  }
  if (connectError.code === Code.InvalidArgument) {
    const spec = ERROR_TABLE.MANDATORY_PARAM_EMPTY_OR_MALFORMED;
    return { status: spec.http, body: { code: spec.binance, msg: connectError.rawMessage } };
  }
  return { status: httpStatusForCode(connectError.code), body: { code: ERROR_TABLE.UNKNOWN.binance, msg: connectError.rawMessage } };
}

/** An error as a status one message of a stream can carry: gRPC code, Binance's {code, msg}, fields at fault, retry delay. */
export interface ErrorStatus {
  readonly code: number;
  readonly binanceCode: number;
  readonly message: string;
  readonly fieldViolations: readonly { field: string; description: string }[];
  /** Over a rate limit: when to try again, ms (0: not said). */
  readonly retryAfterMs: bigint;
}

/** A domain error, or an error a service answered with, as an ErrorStatus; anything else is -1000 Internal. */
export function errorStatusOf(error: unknown): ErrorStatus {
  const domain = error instanceof DomainError ? error : undefined;
  const connectError = domain ? toConnectError(domain) : error instanceof ConnectError ? error : undefined;
  if (!connectError) return { code: Code.Internal, binanceCode: ERROR_TABLE.UNKNOWN.binance, message: "Internal error.", fieldViolations: [], retryAfterMs: 0n };
  const [info] = connectError.findDetails(ErrorInfoSchema);
  const [badRequest] = connectError.findDetails(BadRequestSchema);
  const retryAfterMs = Number(info?.metadata.retryAfterMs);
  return {
    code: connectError.code,
    binanceCode: toRestError(connectError).body.code,
    message: connectError.rawMessage,
    fieldViolations: (badRequest?.fieldViolations ?? []).map(({ field, description }) => ({ field, description })),
    retryAfterMs: Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? BigInt(Math.ceil(retryAfterMs)) : 0n,
  };
}
