import type { ConnectRouter } from "@connectrpc/connect";
import { MarketDataService } from "#gen/exchange/marketdata/v1/marketdata_pb.js";
import type { Clock } from "#kit/clock/clock.js";

export interface MarketDataRoutesDeps {
  readonly clock: Clock;
}

/** marketdata.v1. Methods not listed here answer Unimplemented. */
export function marketDataRoutes(deps: MarketDataRoutesDeps) {
  return (router: ConnectRouter) =>
    router.service(MarketDataService, {
      ping: () => ({}),
      getServerTime: () => ({ serverTime: BigInt(deps.clock.now()) }),
    });
}
