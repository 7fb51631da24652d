import { create, fromBinary, toBinary, type DescMessage, type DescMethod, type DescService, type MessageShape } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { Code, ConnectError, createHandlerContext, type ServiceImpl } from "@connectrpc/connect";

// Lets @grpc/grpc-js clients and servers use the same generated protobuf-es descriptors as
// Connect: grpc-js only needs a path and (de)serializers per method.

function serializer<T extends DescMessage>(schema: T) {
  return {
    // Connect handlers may return a plain init object; create() completes it (a message passes through).
    serialize: (message: MessageShape<T>) => Buffer.from(toBinary(schema, create(schema, message as never))),
    deserialize: (bytes: Buffer) => fromBinary(schema, bytes),
  };
}

/** A grpc-js service definition for a protobuf-es service descriptor. */
export function grpcJsServiceDefinition(service: DescService): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    const input = serializer(method.input);
    const output = serializer(method.output);
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
      responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
      requestSerialize: input.serialize,
      requestDeserialize: input.deserialize,
      responseSerialize: output.serialize,
      responseDeserialize: output.deserialize,
      originalName: method.name,
    } as grpc.MethodDefinition<unknown, unknown>;
  }
  return definition;
}

/** A grpc-js client whose methods are named like the descriptor's local names (e.g. getExchangeInfo). */
export function createGrpcJsClient(service: DescService, address: string, credentials = grpc.credentials.createInsecure()): grpc.Client & Record<string, unknown> {
  const Client = grpc.makeGenericClientConstructor(grpcJsServiceDefinition(service), service.typeName);
  return new Client(address, credentials) as grpc.Client & Record<string, unknown>;
}

/** Calls one unary method of a grpc-js client and resolves with the response message. */
export function callGrpcJsUnary<I extends DescMessage, O extends DescMessage>(client: grpc.Client & Record<string, unknown>, method: DescMethod & { input: I; output: O }, request: MessageShape<I>): Promise<MessageShape<O>> {
  const fn = client[method.localName] as (req: MessageShape<I>, callback: (error: grpc.ServiceError | null, response: MessageShape<O>) => void) => void;
  return new Promise((resolve, reject) => fn.call(client, request, (error, response) => (error ? reject(error) : resolve(response))));
}

function toGrpcError(error: unknown): Partial<grpc.StatusObject> {
  const connectError = ConnectError.from(error);
  return { code: connectError.code as number as grpc.status, details: connectError.rawMessage };
}

/**
 * Serves a Connect-style implementation (the same object a ConnectRouter takes) on a grpc-js
 * server: unary and server-streaming methods.
 */
export function addConnectServiceToGrpcJs<S extends DescService>(server: grpc.Server, service: S, impl: Partial<ServiceImpl<S>>): void {
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const method of service.methods) {
    const fn = (impl as Record<string, unknown>)[method.localName] as ((req: unknown, ctx: unknown) => unknown) | undefined;
    const context = (call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>) => {
      const abort = new AbortController();
      call.on("cancelled", () => abort.abort());
      return createHandlerContext({
        service,
        method,
        protocolName: "grpc",
        requestMethod: "POST",
        url: `/${service.typeName}/${method.name}`,
        signal: abort.signal,
      } as Parameters<typeof createHandlerContext>[0]);
    };
    if (method.methodKind === "unary") {
      handlers[method.localName] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        if (!fn) return callback({ code: grpc.status.UNIMPLEMENTED, details: `${method.name} is not implemented` });
        Promise.resolve(fn(call.request, context(call))).then(
          (response) => callback(null, response),
          (error: unknown) => callback(toGrpcError(error)),
        );
      };
    } else if (method.methodKind === "server_streaming") {
      handlers[method.localName] = (call: grpc.ServerWritableStream<unknown, unknown>) => {
        if (!fn) return call.destroy(Object.assign(new Error("unimplemented"), { code: grpc.status.UNIMPLEMENTED }));
        void (async () => {
          try {
            for await (const message of fn(call.request, context(call)) as AsyncIterable<unknown>) call.write(message);
            call.end();
          } catch (error) {
            call.emit("error", toGrpcError(error));
          }
        })();
      };
    } else if (fn) {
      throw new ConnectError(`${method.methodKind} is not bridged`, Code.Unimplemented);
    } else {
      // A client- or bidi-streaming method the implementation leaves out: answered Unimplemented, as the others.
      handlers[method.localName] = (call: grpc.ServerDuplexStream<unknown, unknown>) =>
        call.destroy(Object.assign(new Error(`${method.name} is not implemented`), { code: grpc.status.UNIMPLEMENTED }));
    }
  }
  server.addService(grpcJsServiceDefinition(service), handlers);
}
