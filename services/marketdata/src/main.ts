import { MarketDataService } from "#gen/exchange/marketdata/v1/marketdata_pb.js";
import { systemClock, type Clock } from "#kit/clock/clock.js";
import type { ServiceModule } from "#kit/rpc/service-module.js";
import { marketDataRoutes } from "./rpc/marketdata.routes.js";

export interface MarketDataConfig {
  readonly clock?: Clock;
}

/** Composition root of the marketdata service. */
export async function createMarketDataModule(config: MarketDataConfig = {}): Promise<ServiceModule> {
  return {
    name: "marketdata",
    serviceNames: [MarketDataService.typeName],
    routes: marketDataRoutes({ clock: config.clock ?? systemClock }),
  };
}
