// The ceiling: a plain node:http2 (h2c) server that answers every request with an empty message
// and does nothing else, run as its own process. A gRPC request gets an empty gRPC message with
// grpc-status 0 (so connect-node's gRPC client, the bench's client, reads a valid answer); any
// other request (h2load's Connect JSON POST) gets `{}`. Prints "listening <port>" when ready.
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";

const EMPTY_GRPC_MESSAGE = Buffer.from([0, 0, 0, 0, 0]);

const server = http2.createServer();
server.on("stream", (stream, headers) => {
  stream.on("error", () => {});
  // Read the request to its end before answering, as a real server does.
  stream.resume();
  stream.on("end", () => {
    if (String(headers["content-type"] ?? "").startsWith("application/grpc")) {
      stream.respond({ ":status": 200, "content-type": "application/grpc+proto" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(EMPTY_GRPC_MESSAGE);
    } else {
      stream.respond({ ":status": 200, "content-type": "application/json" });
      stream.end("{}");
    }
  });
});
server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on("SIGTERM", () => process.exit(0));
