// `--client=h2`: a lean gRPC client for unary calls, straight on node:http2 and protobuf-es's binary
// codec (one HTTP/2 session, the 5-byte gRPC frame by hand, the status from the trailers). It exists
// because connect-node's client costs several hundred microseconds of CPU per call on this machine,
// so a load process using it cannot send more than a few thousand calls per second: beyond that the
// bench would measure its own client. Errors come back as connect's ConnectError (details included),
// so workloads treat both clients alike.
import * as http2 from "node:http2";
import { create, fromBinary, toBinary, type DescMessage, type DescService, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";

export class LeanGrpcConnection {
  private session?: http2.ClientHttp2Session;

  constructor(private readonly baseUrl: string) {}

  private current(): http2.ClientHttp2Session {
    if (!this.session || this.session.closed || this.session.destroyed) {
      const session = http2.connect(this.baseUrl);
      session.on("error", () => {}); // each call sees its stream's error
      session.on("close", () => {
        if (this.session === session) this.session = undefined;
      });
      this.session = session;
    }
    return this.session;
  }

  unary<I extends DescMessage, O extends DescMessage>(path: string, input: I, output: O, init: MessageInitShape<I>): Promise<MessageShape<O>> {
    const body = toBinary(input, create(input, init));
    const frame = Buffer.allocUnsafe(5 + body.length);
    frame[0] = 0;
    frame.writeUInt32BE(body.length, 1);
    frame.set(body, 5);
    return new Promise((resolve, reject) => {
      const stream = this.current().request({ ":method": "POST", ":path": path, "content-type": "application/grpc+proto", te: "trailers" });
      const chunks: Buffer[] = [];
      let headers: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      stream.on("response", (received) => (headers = received));
      stream.on("trailers", (received) => (trailers = received));
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", (error) => reject(ConnectError.from(error, Code.Unavailable)));
      stream.on("end", () => {
        // A trailers-only answer (an error) carries its status in the headers.
        const status = trailers["grpc-status"] ?? headers["grpc-status"];
        if (status !== "0") {
          const all = new Headers();
          for (const [name, value] of Object.entries({ ...headers, ...trailers })) if (!name.startsWith(":") && value !== undefined) all.set(name, String(value));
          reject(findTrailerError(all) ?? new ConnectError(`no grpc-status (HTTP ${headers[":status"]})`, Code.Unknown));
          return;
        }
        const data = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
        if (data.length < 5) return reject(new ConnectError("no message in the answer", Code.Internal));
        resolve(fromBinary(output, data.subarray(5, 5 + data.readUInt32BE(1))));
      });
      stream.end(frame);
    });
  }

  close(): void {
    this.session?.close();
  }
}

/** A client of `service`'s unary methods over `connection`, shaped as connect's `createClient` would make it. */
export function leanClient<S extends DescService>(service: S, connection: LeanGrpcConnection): Client<S> {
  const client: Record<string, unknown> = {};
  for (const method of service.methods) {
    if (method.methodKind !== "unary") continue;
    const path = `/${service.typeName}/${method.name}`;
    client[method.localName] = (init: MessageInitShape<DescMessage>) => connection.unary(path, method.input, method.output, init);
  }
  return client as Client<S>;
}
