import type { ConnectRouter } from "@connectrpc/connect";
import type { NodeRequest, NodeResponse, UpgradeHandler } from "./server.js";

/**
 * What every service exports from its composition root: its routes (a plain function over
 * generated descriptors, so it runs in-process, on HTTP/2 or anywhere Connect runs) and an
 * optional lifecycle for background work such as consumers and relays.
 */
export interface ServiceModule {
  /** The folder name: also the Helm component key, OTEL_SERVICE_NAME and log name. */
  readonly name: string;
  /** Fully qualified gRPC service names this module serves (for health). */
  readonly serviceNames: readonly string[];
  routes(router: ConnectRouter): void;
  /** Plain HTTP routes served beside the RPCs (e.g. /.well-known/jwks.json); false falls through. */
  readonly httpRoute?: (request: NodeRequest, response: NodeResponse) => boolean | Promise<boolean>;
  /** HTTP/1.1 upgrade requests (e.g. WebSocket) on paths it serves: true when it took the socket. */
  readonly httpUpgrade?: UpgradeHandler;
  start?(): Promise<void>;
  stop?(): Promise<void>;
}
