import type * as http2 from "node:http2";
import { create, fromBinary, toBinary, type DescMethod, type DescMethodUnary } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextValues,
  type ConnectRouter,
  type ContextValues,
  type HandlerContext,
  type Interceptor,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { parseTimeout, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { implementations, type AnyImpl } from "./route-table.js";

// Unary gRPC (binary) served straight off node:http2's stream, through the same interceptors and
// implementations as connect's router. connect-node builds web Headers, a linked AbortSignal
// chain and an AbortError DOMException (with its stack) per call, about 300-400 µs of CPU for a
// no-op here against ~40 µs for a plain node:http2 answer. Here headers, the signal and the
// context values are made only when a handler or interceptor asks for them. Anything else
// (streams, Connect, gRPC-Web, JSON, compressed requests, unknown paths) stays with connect.

/** Takes a request stream when it is a unary gRPC call served here; false leaves it to connect. */
export type Http2StreamHandler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => boolean;

const REQUEST_TYPES = new Set(["application/grpc", "application/grpc+proto"]);
const RESPONSE_TYPE = "application/grpc+proto";
/** Why a call's signal ends when it completed normally (shared: an AbortError per call costs a stack trace). */
const COMPLETED = new ConnectError("the call completed", Code.Canceled);
const CLIENT_GONE = new ConnectError("the client canceled the call", Code.Canceled);

interface Route {
  readonly method: DescMethodUnary;
  readonly impl: AnyImpl;
  readonly interceptors: readonly Interceptor[];
}

type Next = (request: UnaryRequest) => Promise<UnaryResponse>;

/** A unary gRPC server for the methods `routes` registers, running `interceptors` (outermost first) as connect would. */
export function grpcUnaryServer(routes: (router: ConnectRouter) => void, interceptors: readonly Interceptor[]): Http2StreamHandler {
  let table: Map<string, Route> | undefined;
  const routeOf = (path: string): Route | undefined => {
    if (!table) {
      table = new Map();
      for (const [method, impl] of implementations(routes)) {
        if (method.methodKind === "unary") table.set(`/${method.parent.typeName}/${method.name}`, { method: method as DescMethodUnary, impl, interceptors });
      }
    }
    return table.get(path);
  };
  return (stream, headers) => {
    if (headers[":method"] !== "POST") return false;
    const type = headers["content-type"];
    if (type === undefined || !REQUEST_TYPES.has(type)) return false;
    const encoding = headers["grpc-encoding"];
    if (encoding !== undefined && encoding !== "identity") return false;
    const route = routeOf(headers[":path"] ?? "");
    if (!route) return false;
    serve(route, stream, headers);
    return true;
  };
}

/** Node's header object as web Headers, without HTTP/2 pseudo-headers (as connect-node gives them). */
function webHeaders(headers: http2.IncomingHttpHeaders): Headers {
  const web = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(":") || value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) web.append(name, item);
    else web.append(name, String(value));
  }
  return web;
}

function addHeaders(target: http2.OutgoingHttpHeaders, headers: Headers | undefined): void {
  headers?.forEach((value, name) => {
    target[name] = value;
  });
}

/** The single message of a unary request body (one gRPC envelope), or the error connect would answer. */
function singleMessage(body: Buffer): Uint8Array | ConnectError {
  if (body.length < 5) return new ConnectError("protocol error: missing input message for unary method", Code.Unimplemented);
  const flags = body[0];
  const length = body.readUInt32BE(1);
  if (body.length < 5 + length) return new ConnectError(`protocol error: promised ${length} bytes in enveloped message, got ${body.length - 5} bytes`, Code.InvalidArgument);
  if (body.length > 5 + length) return new ConnectError("protocol error: received extra input message for unary method", Code.Unimplemented);
  if ((flags & 0b1) !== 0) return new ConnectError("received compressed envelope, but do not know how to decompress", Code.Internal);
  if (flags !== 0) return new ConnectError(`protocol error: unexpected envelope flags ${flags}`, Code.InvalidArgument);
  return body.subarray(5);
}

function serve(route: Route, stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  const { method } = route;
  let done = false;
  let controller: AbortController | undefined;
  let abortReason: unknown;
  let requestHeader: Headers | undefined;
  let responseHeader: Headers | undefined;
  let responseTrailer: Headers | undefined;
  let values: ContextValues | undefined;
  let deadline: number | undefined;
  let timer: NodeJS.Timeout | undefined;

  const abort = (reason: unknown) => {
    if (controller) controller.abort(reason);
    else abortReason ??= reason;
  };
  // Own enumerable getters (not a class): code that spreads a context or request still sees every field.
  const context: HandlerContext = {
    service: method.parent,
    method: method as DescMethod,
    requestMethod: "POST",
    protocolName: "grpc",
    url: `http://${headers[":authority"] ?? "localhost"}${headers[":path"]}`,
    timeoutMs: () => (deadline === undefined ? undefined : deadline - Date.now()),
    get signal() {
      if (!controller) {
        controller = new AbortController();
        if (abortReason !== undefined) controller.abort(abortReason);
      }
      return controller.signal;
    },
    get requestHeader() {
      return (requestHeader ??= webHeaders(headers));
    },
    get responseHeader() {
      return (responseHeader ??= new Headers());
    },
    get responseTrailer() {
      return (responseTrailer ??= new Headers());
    },
    get values() {
      return (values ??= createContextValues());
    },
  };

  const answerError = (cause: unknown) => {
    const error = cause instanceof ConnectError ? cause : new ConnectError("internal error", Code.Internal, undefined, undefined, cause);
    const head: http2.OutgoingHttpHeaders = { ":status": 200, "content-type": RESPONSE_TYPE };
    addHeaders(head, responseHeader);
    // Trailers-only: the status goes in the one header block.
    addHeaders(head, setTrailerStatus(new Headers(responseTrailer), error));
    stream.respond(head, { endStream: true });
  };
  const answer = (output: Uint8Array) => {
    const frame = Buffer.allocUnsafe(5 + output.length);
    frame[0] = 0;
    frame.writeUInt32BE(output.length, 1);
    frame.set(output, 5);
    const head: http2.OutgoingHttpHeaders = { ":status": 200, "content-type": RESPONSE_TYPE };
    addHeaders(head, responseHeader);
    stream.respond(head, { waitForTrailers: true });
    stream.once("wantTrailers", () => {
      const trailers: http2.OutgoingHttpHeaders = {};
      addHeaders(trailers, responseTrailer);
      trailers["grpc-status"] = "0";
      stream.sendTrailers(trailers);
    });
    stream.end(frame);
  };
  /** Answers once: the outcome, unless the deadline or the client came first. */
  const finish = (outcome: { output: Uint8Array } | { error: unknown }) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    if (!stream.destroyed && !stream.closed) {
      try {
        if ("output" in outcome) answer(outcome.output);
        else answerError(outcome.error);
      } catch {
        stream.destroy();
      }
    }
    abort("error" in outcome && outcome.error instanceof ConnectError ? outcome.error : COMPLETED);
  };

  stream.on("error", () => undefined); // a reset stream also closes; 'close' handles it
  stream.once("close", () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    abort(CLIENT_GONE);
  });
  const timeout = parseTimeout((headers["grpc-timeout"] as string | undefined) ?? null, Number.MAX_SAFE_INTEGER);
  if (timeout.error) {
    stream.resume();
    finish({ error: timeout.error });
    return;
  }
  if (timeout.timeoutMs !== undefined) {
    deadline = Date.now() + timeout.timeoutMs;
    timer = setTimeout(() => finish({ error: new ConnectError("the operation timed out", Code.DeadlineExceeded) }), Math.max(0, timeout.timeoutMs));
  }

  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  stream.once("end", () => {
    if (done) return;
    const bytes = singleMessage(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    if (bytes instanceof ConnectError) return finish({ error: bytes });
    let message;
    try {
      message = fromBinary(method.input, bytes);
    } catch (error) {
      return finish({ error: new ConnectError(`parse binary: ${error instanceof Error ? error.message : String(error)}`, Code.Internal) });
    }
    invoke(route, context, message).then(
      (output) => {
        let bytes: Uint8Array;
        try {
          bytes = toBinary(method.output, output);
        } catch (error) {
          return finish({ error: new ConnectError(`serialize binary: ${error instanceof Error ? error.message : String(error)}`, Code.Internal) });
        }
        finish({ output: bytes });
      },
      (error: unknown) => finish({ error }),
    );
  });

  /** Runs the interceptors around the implementation; keeps headers an interceptor answered with. */
  async function invoke(route: Route, ctx: HandlerContext, message: unknown) {
    const request: UnaryRequest = {
      stream: false,
      service: method.parent,
      method,
      requestMethod: "POST",
      url: ctx.url,
      message: message as never,
      get signal() {
        return ctx.signal;
      },
      get header() {
        return ctx.requestHeader;
      },
      get contextValues() {
        return ctx.values;
      },
    };
    let ours: UnaryResponse | undefined;
    const innermost: Next = async (req) => {
      // An interceptor that replaced the request's header, signal or values hands them to the handler, as connect does.
      const handlerContext = req === request ? ctx : { ...ctx, service: req.service, requestHeader: req.header, signal: req.signal, values: req.contextValues };
      const output = await route.impl(req.message, handlerContext);
      ours = {
        stream: false,
        service: method.parent,
        method,
        message: create(method.output, output as never),
        get header() {
          return ctx.responseHeader;
        },
        get trailer() {
          return ctx.responseTrailer;
        },
      };
      return ours;
    };
    const call = route.interceptors.reduceRight<Next>((next, interceptor) => interceptor(next as never) as unknown as Next, innermost);
    const response = await call(request);
    if (response !== ours) {
      responseHeader = response.header;
      responseTrailer = response.trailer;
    }
    return response.message;
  }
}
