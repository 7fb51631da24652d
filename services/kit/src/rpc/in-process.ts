import type { ConnectRouter, Interceptor, Transport } from "@connectrpc/connect";
import { directTransport } from "./direct-transport.js";
import { standardInterceptors } from "./server.js";

/**
 * A transport that calls the routes in this process, through the same interceptors a network
 * server runs (validation, error mapping), with messages copied through their wire encoding so
 * a caller can never share mutable objects with the callee.
 */
export function inProcessTransport(routes: (router: ConnectRouter) => void, interceptors: readonly Interceptor[] = []): Transport {
  return directTransport(routes, standardInterceptors(interceptors));
}
