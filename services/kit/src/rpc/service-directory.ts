import { Code, ConnectError, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ConfigError } from "../config/config-error.js";
import { partitionForKey } from "../ports/event-log.port.js";
import { leaderRoutingTransport, symbolOf } from "./leader-routing.js";
import { causesOf, refusedStream } from "./error-causes.js";
import { envInt, type Env } from "../config/env.js";

/**
 * How one service reaches another. Embedded mode answers with an in-process transport over
 * the routes of this process; distributed mode with gRPC to `<NAME>_ADDR`
 * (e.g. WALLET_ADDR=http://wallet:8080). Service code only ever asks for a transport by name.
 */
export interface ServiceDirectory {
  transport(service: string): Transport;
}

/** A transport resolved on first use, so modules can be built before the whole process is. */
export function lazyTransport(resolve: () => Transport): Transport {
  let inner: Transport | undefined;
  const get = () => (inner ??= resolve());
  return {
    unary: (...args) => get().unary(...args),
    stream: (...args) => get().stream(...args),
  };
}

export function grpcDirectory(env: Env, local?: (service: string) => Transport | undefined, interceptors: readonly Interceptor[] = []): ServiceDirectory {
  return {
    transport(service) {
      const here = local?.(service);
      if (here) return here;
      const setting = `${service.toUpperCase()}_ADDR`;
      const configured = env[setting];
      if (!configured) throw new ConfigError(setting, `${setting} is not set and ${service} does not run in this process`);
      // Several addresses: the replicas of a service led per key (matching: a leader per symbol, warm standbys).
      const addresses = configured.split(",").map((address) => address.trim());
      for (const address of addresses) {
        if (!/^https?:\/\/[^/?#]+/.test(address)) throw new ConfigError(setting, `${setting} must be an http:// or https:// URL (e.g. http://${service}:8080), got "${address}"`);
      }
      const replicas = addresses.map((baseUrl) => createGrpcTransport({ baseUrl, interceptors: [brokenPeerIsUnavailable, ...interceptors] }));
      if (replicas.length === 1) return replicas[0]!;
      // A symbol's home replica follows its command-log partition, so a partition's symbols share a first leader.
      const partitions = envInt(env, "EXCHANGE_TOPIC_PARTITIONS", 12);
      return leaderRoutingTransport(replicas, {
        keyOf: symbolOf,
        homeOf: (symbol, count) => partitionForKey(symbol, partitions) % count,
        retryForMs: envInt(env, "EXCHANGE_LEADER_RETRY_MS", 30_000),
      });
    },
  };
}

/**
 * A peer that dies mid-call (killed, its connection reset) ends the call's HTTP/2 stream, which the transport
 * reports as Canceled, or as Aborted when the socket was reset (ECONNRESET). The caller asked for no cancellation
 * and no transaction of its was aborted: for it the peer is unavailable (gRPC's code for a broken connection, which
 * callers and the edge treat as retryable: 503, -1001), not an error to pass on. An Aborted the peer itself answered
 * carries no Node error as its cause and stays Aborted. A stream the peer refused unprocessed (REFUSED_STREAM, as a
 * server shutting down answers new calls) is Unavailable too.
 */
export const brokenPeerIsUnavailable: Interceptor = (next) => async (request) => {
  const asUnavailable = (error: unknown): unknown => {
    const connectError = ConnectError.from(error);
    const broken = connectError.code === Code.Canceled || (connectError.code === Code.Aborted && brokenConnection(connectError)) || refusedStream(connectError);
    if (request.signal.aborted || !broken) return error;
    return new ConnectError(`${request.service.typeName} unavailable: ${connectError.rawMessage}`, Code.Unavailable, undefined, undefined, connectError);
  };
  let response;
  try {
    response = await next(request);
  } catch (error) {
    throw asUnavailable(error);
  }
  if (!response.stream) return response;
  const messages = response.message;
  return {
    ...response,
    message: (async function* () {
      try {
        yield* messages;
      } catch (error) {
        throw asUnavailable(error);
      }
    })(),
  };
};

/** Node's codes for a connection or stream that broke under a call (connect-node reports them as Aborted). */
const BROKEN_CONNECTION = new Set(["ECONNRESET", "EPIPE", "ERR_STREAM_DESTROYED", "ERR_HTTP2_INVALID_STREAM", "ERR_HTTP2_STREAM_ERROR", "ERR_HTTP2_SESSION_ERROR", "ERR_HTTP2_GOAWAY_SESSION"]);

function brokenConnection(error: ConnectError): boolean {
  for (const { code } of causesOf(error.cause)) if (typeof code === "string" && BROKEN_CONNECTION.has(code)) return true;
  return false;
}
