import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";

export type AnyImpl = (request: unknown, context: HandlerContext) => unknown;

/** The service implementations `routes` registers, by method (what connect's router would serve). */
export function implementations(routes: (router: ConnectRouter) => void): Map<DescMethod, AnyImpl> {
  const found = new Map<DescMethod, AnyImpl>();
  const recorder = {
    handlers: [],
    service(service: DescService, implementation: Record<string, unknown>) {
      for (const method of service.methods) {
        const impl = implementation[method.localName];
        if (typeof impl === "function") found.set(method, impl.bind(implementation) as AnyImpl);
      }
      return recorder;
    },
    rpc(method: DescMethod, impl: AnyImpl) {
      found.set(method, impl);
      return recorder;
    },
  };
  routes(recorder as unknown as ConnectRouter);
  return found;
}
