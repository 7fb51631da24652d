import { create, type DescMessage, type DescMethod, type DescMethodStreaming, type DescMethodUnary, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextValues,
  createHandlerContext,
  type ConnectRouter,
  type HandlerContext,
  type Interceptor,
  type StreamRequest,
  type StreamResponse,
  type Transport,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { DomainError } from "../errors/domain-error.js";
import { toConnectError } from "../errors/connect-errors.js";
import { implementations, type AnyImpl } from "./route-table.js";

/** Why a call's context ends when it completed normally (a shared reason: an AbortError per call costs a stack trace). */
const COMPLETED = new ConnectError("the call completed", Code.Canceled);

type Next = (request: UnaryRequest | StreamRequest) => Promise<UnaryResponse | StreamResponse>;

/**
 * A message as it crosses the in-process boundary: the same object on both sides, so neither side may change it after
 * handing it over (messages are values here). A binary round trip per message, the wire's own isolation, cost about a
 * tenth of the embedded exchange's main thread under order load. Under the test runner every message handed over is
 * deep-frozen, so a service that changes a message it sent or received fails its tests loudly instead of changing
 * the other side's copy in production.
 */
function handOver<Desc extends DescMessage>(schema: Desc, message: MessageInitShape<Desc>): MessageShape<Desc> {
  const shaped = create(schema, message);
  if (FREEZE_HANDED_OVER) deepFreeze(shaped);
  return shaped;
}

const FREEZE_HANDED_OVER = process.env.VITEST === "true" || process.env.EXCHANGE_FREEZE_MESSAGES === "true";

function deepFreeze(value: unknown): void {
  if (typeof value !== "object" || value === null || Object.isFrozen(value) || ArrayBuffer.isView(value)) return;
  Object.freeze(value);
  for (const inner of Object.values(value)) deepFreeze(inner);
}

/** A handler's error as a client sees it: a ConnectError, domain errors with their details. */
function asClientError(error: unknown): ConnectError {
  return error instanceof DomainError ? toConnectError(error) : ConnectError.from(error);
}

/**
 * A transport that calls the routes of this process directly: the same server interceptors
 * (error mapping, validation) and the same handler context a network server gives, messages
 * handed over as values (see handOver), deadlines and cancellation as on the wire,
 * but no HTTP framing, envelopes or header encoding in between. connect's router transport runs
 * the whole protocol in memory, which cost an internal call ~20x a plain function call.
 */
export function directTransport(routes: (router: ConnectRouter) => void, interceptors: readonly Interceptor[] = []): Transport {
  let table: Map<DescMethod, AnyImpl> | undefined;
  const implOf = (method: DescMethod): AnyImpl => {
    table ??= implementations(routes);
    const impl = table.get(method);
    if (!impl) throw new ConnectError(`${method.parent.typeName}/${method.name} is not implemented`, Code.Unimplemented);
    return impl;
  };
  const contextOf = (method: DescMethod, signal: AbortSignal | undefined, timeoutMs: number | undefined, header: ConstructorParameters<typeof Headers>[0] | undefined, contextValues = createContextValues()) =>
    createHandlerContext({
      service: method.parent,
      method,
      protocolName: "in-process",
      requestMethod: "POST",
      url: `in-process:///${method.parent.typeName}/${method.name}`,
      timeoutMs,
      requestSignal: signal,
      requestHeader: header,
      contextValues,
    });
  // Server interceptors, innermost last, around a call of the implementation.
  const chain = (call: Next): Next => interceptors.reduceRight<Next>((next, interceptor) => interceptor(next as never) as Next, call);

  return {
    async unary<I extends DescMessage, O extends DescMessage>(
      method: DescMethodUnary<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: ConstructorParameters<typeof Headers>[0] | undefined,
      input: MessageInitShape<I>,
      contextValues?: ReturnType<typeof createContextValues>,
    ): Promise<UnaryResponse<I, O>> {
      const impl = implOf(method);
      const context = contextOf(method, signal, timeoutMs, header, contextValues);
      const request: UnaryRequest<I, O> = {
        stream: false,
        service: method.parent,
        method,
        requestMethod: "POST",
        url: context.url,
        signal: context.signal,
        header: context.requestHeader,
        contextValues: context.values,
        message: handOver(method.input, input),
      };
      const call = chain(async (req) => {
        const output = await impl((req as UnaryRequest<I, O>).message, context);
        return { stream: false, service: method.parent, method, header: context.responseHeader, trailer: context.responseTrailer, message: handOver(method.output, output as MessageInitShape<O>) };
      });
      try {
        // The caller stops waiting at its deadline or when it cancels, as over the network.
        const response = (await abortable(call(request), context.signal)) as UnaryResponse<I, O>;
        return response;
      } catch (error) {
        throw asClientError(error);
      } finally {
        context.abort(COMPLETED);
      }
    },

    async stream<I extends DescMessage, O extends DescMessage>(
      method: DescMethodStreaming<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: ConstructorParameters<typeof Headers>[0] | undefined,
      input: AsyncIterable<MessageInitShape<I>>,
      contextValues?: ReturnType<typeof createContextValues>,
    ): Promise<StreamResponse<I, O>> {
      const impl = implOf(method);
      const context = contextOf(method, signal, timeoutMs, header, contextValues);
      const requests = (async function* () {
        for await (const message of input) yield handOver(method.input, message);
      })();
      const request: StreamRequest<I, O> = {
        stream: true,
        service: method.parent,
        method,
        requestMethod: "POST",
        url: context.url,
        signal: context.signal,
        header: context.requestHeader,
        contextValues: context.values,
        message: requests,
      };
      const call = chain(async (req) => {
        const messages = (req as StreamRequest<I, O>).message;
        let outputs: AsyncIterable<MessageInitShape<O>>;
        if (method.methodKind === "server_streaming") {
          // One request message, as the protocol requires.
          let single: MessageShape<I> | undefined;
          for await (const message of messages) {
            if (single) throw new ConnectError("server streaming call with more than one request message", Code.InvalidArgument);
            single = message;
          }
          if (!single) throw new ConnectError("server streaming call without a request message", Code.InvalidArgument);
          outputs = impl(single, context) as AsyncIterable<MessageInitShape<O>>;
        } else if (method.methodKind === "client_streaming") {
          const output = impl(messages, context) as Promise<MessageInitShape<O>>;
          outputs = (async function* () {
            yield await output;
          })();
        } else {
          outputs = impl(messages, context) as AsyncIterable<MessageInitShape<O>>;
        }
        return { stream: true, service: method.parent, method, header: context.responseHeader, trailer: context.responseTrailer, message: handedOver(method.output, outputs, context) };
      });
      try {
        return (await call(request)) as StreamResponse<I, O>;
      } catch (error) {
        context.abort(COMPLETED);
        throw asClientError(error);
      }
    },
  };
}

/** The handler's output stream, handed over; ends the call (its context) when either side stops. */
async function* handedOver<O extends DescMessage>(schema: O, outputs: AsyncIterable<MessageInitShape<O>>, context: HandlerContext & { abort(reason?: unknown): void }): AsyncGenerator<MessageShape<O>> {
  const iterator = outputs[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await abortable(iterator.next(), context.signal);
      if (next.done) return;
      yield handOver(schema, next.value);
    }
  } catch (error) {
    throw asClientError(error);
  } finally {
    context.abort(COMPLETED);
    void iterator.return?.()?.catch(() => undefined);
  }
}

/** `work`, or the signal's reason as a ConnectError (Canceled, or DeadlineExceeded at the deadline), whichever comes first. */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(ConnectError.from(signal.reason, Code.Canceled));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(ConnectError.from(signal.reason, Code.Canceled));
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
