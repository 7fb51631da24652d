import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { openDatabase } from "#kit/db/database.js";
import { migrate } from "#kit/db/migrate.js";
import type { ServiceModule } from "#kit/rpc/service-module.js";
import { SqlSymbolStore, orderMigrations, type OrderDb } from "./adapters/symbol-store.sql.js";
import { DEFAULT_SYMBOLS } from "./domain/symbol.js";
import { orderRoutes } from "./rpc/order.routes.js";

export interface OrderConfig {
  /** sqlite:<file> in embedded mode, postgres://... in distributed mode. */
  readonly databaseUrl: string;
}

/** Composition root of the order service: opens its store, migrates, seeds the registry. */
export async function createOrderModule(config: OrderConfig): Promise<ServiceModule> {
  const database = openDatabase<OrderDb>(config.databaseUrl);
  await migrate(database.db as never, "order", orderMigrations);
  const symbols = new SqlSymbolStore(database.db);
  await symbols.seed(DEFAULT_SYMBOLS);
  return {
    name: "order",
    serviceNames: [OrderService.typeName],
    routes: orderRoutes({ symbols }),
    stop: () => database.close(),
  };
}
