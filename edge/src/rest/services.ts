import { createClient, type Client } from "@connectrpc/connect";
import { AuthService } from "#gen/exchange/auth/v1/auth_pb.js";
import { MarketDataService } from "#gen/exchange/marketdata/v1/marketdata_pb.js";
import { MatchingService } from "#gen/exchange/matching/v1/matching_pb.js";
import { NotifierService } from "#gen/exchange/notifier/v1/notifier_pb.js";
import { OrderService, type SymbolInfo } from "#gen/exchange/order/v1/order_pb.js";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { DomainError } from "#kit/errors/domain-error.js";
import type { ServiceDirectory } from "#kit/rpc/service-directory.js";

/** The services behind the edge, each reached through the directory on first use. */
export interface EdgeServices {
  readonly order: Client<typeof OrderService>;
  readonly wallet: Client<typeof WalletService>;
  readonly auth: Client<typeof AuthService>;
  readonly matching: Client<typeof MatchingService>;
  readonly marketData: Client<typeof MarketDataService>;
  readonly notifier: Client<typeof NotifierService>;
  readonly symbols: SymbolCatalog;
}

function lazy<T extends object>(make: () => T): T {
  let inner: T | undefined;
  return new Proxy({} as T, { get: (_target, property) => Reflect.get((inner ??= make()), property) });
}

export function edgeServices(directory: ServiceDirectory, now: () => number): EdgeServices {
  const order = lazy(() => createClient(OrderService, directory.transport("order")));
  return {
    order,
    wallet: lazy(() => createClient(WalletService, directory.transport("wallet"))),
    auth: lazy(() => createClient(AuthService, directory.transport("auth"))),
    matching: lazy(() => createClient(MatchingService, directory.transport("matching"))),
    marketData: lazy(() => createClient(MarketDataService, directory.transport("marketdata"))),
    notifier: lazy(() => createClient(NotifierService, directory.transport("notifier"))),
    symbols: new SymbolCatalog(order, now),
  };
}

/** exchangeInfo's symbols, kept for a few seconds (depth converts with their tick and step sizes). */
export class SymbolCatalog {
  private cached: { at: number; symbols: readonly SymbolInfo[] } | undefined;

  constructor(
    private readonly order: Client<typeof OrderService>,
    private readonly now: () => number,
    private readonly ttlMs = 5_000,
  ) {}

  async all(): Promise<readonly SymbolInfo[]> {
    const at = this.now();
    if (!this.cached || at - this.cached.at > this.ttlMs) this.cached = { at, symbols: (await this.order.getExchangeInfo({})).symbols };
    return this.cached.symbols;
  }

  async get(symbol: string): Promise<SymbolInfo> {
    const info = (await this.all()).find((s) => s.symbol === symbol);
    if (!info) throw new DomainError("BAD_SYMBOL");
    return info;
  }
}
