import { create } from "@bufbuild/protobuf";
import { SelfTradePreventionMode, SymbolStatus } from "#gen/exchange/common/v1/common_pb.js";
import { CommandSchema } from "#gen/exchange/matching/v1/matching_pb.js";
import type { Clock } from "#kit/clock/clock.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { MAX_AVG_PRICE_MINS } from "#kit/money/average-price.js";
import type { AuditEntry, AuditRecord } from "#kit/ports/audit-log.port.js";
import type { Operator } from "#kit/ports/operator-gate.port.js";
import type { AssetScales } from "../ports/asset-scales.port.js";
import type { MatchingGateway } from "../ports/matching-gateway.port.js";
import type { OrderStore } from "../ports/order-store.port.js";
import type { SymbolStore } from "../ports/symbol-store.port.js";
import type { Order } from "./order.js";
import type { SymbolSpec } from "./symbol.js";
import { SymbolUnits } from "./symbol-units.js";

export interface SymbolAdminDeps {
  readonly symbols: SymbolStore;
  readonly store: Pick<OrderStore, "openAccounts">;
  readonly matching: Pick<MatchingGateway, "submit">;
  readonly assets: AssetScales;
  readonly clock: Clock;
  /** The order lifecycle: takes the new spec, cancels an account's orders of a symbol. */
  readonly orders: {
    useSymbol(spec: SymbolSpec): void;
    cancelAll(accountId: string, symbol: string): Promise<Order[]>;
  };
  /** Hears each symbol listed here (order starts following its events). */
  readonly onListed?: (spec: SymbolSpec) => void;
}

/** A new symbol's filters, as decimal strings. */
export interface SymbolFiltersInput {
  readonly tickSize: string;
  readonly stepSize: string;
  readonly minPrice: string;
  readonly maxPrice: string;
  readonly minQty: string;
  readonly maxQty: string;
  readonly minNotional: string;
  readonly maxNotional: string;
  readonly marketBandBps: number;
  /** Binance's avgPriceMins (0..60; 0: the last price); absent: 5. */
  readonly avgPriceMins?: number;
}

export interface AddSymbolInput {
  readonly symbol: string;
  readonly baseAsset: string;
  readonly quoteAsset: string;
  readonly filters: SymbolFiltersInput;
  /** UNSPECIFIED: HALT. */
  readonly status: SymbolStatus;
  readonly reason: string;
}

const ACTIONS: Partial<Record<SymbolStatus, string>> = {
  [SymbolStatus.TRADING]: "symbol.resume",
  [SymbolStatus.HALT]: "symbol.halt",
  [SymbolStatus.CANCEL_ONLY]: "symbol.cancel-only",
  [SymbolStatus.BREAK]: "symbol.break",
};

/** A spec as the audit log shows it: the status by name. */
function auditView(spec: SymbolSpec): Record<string, unknown> {
  return { ...spec, status: SymbolStatus[spec.status] };
}

function invalid(field: string, why: string): DomainError {
  return new DomainError("INVALID_PARAMETER", `${field}: ${why}`, [{ field, description: why }]);
}

/**
 * The symbol lifecycle for operators: list, add, halt / resume / cancel-only / break, the kill switch, delisting.
 * Matching enforces a status (it refuses new orders on a symbol not TRADING, and everything but status changes
 * on BREAK, with Binance's "Market is closed."): each change is journaled there first, then stored in the
 * registry with its audit entry in one transaction, then taken by this replica's order lifecycle (the others
 * read the registry).
 */
export class SymbolAdmin {
  constructor(private readonly deps: SymbolAdminDeps) {}

  list(): Promise<SymbolSpec[]> {
    return this.deps.symbols.list();
  }

  async add(operator: Operator, input: AddSymbolInput): Promise<{ spec: SymbolSpec; audit: AuditEntry }> {
    if (input.baseAsset === input.quoteAsset) throw invalid("quote_asset", "must differ from base_asset");
    if (input.symbol !== input.baseAsset + input.quoteAsset) throw invalid("symbol", "must be base_asset followed by quote_asset");
    if (await this.deps.symbols.get(input.symbol)) throw new DomainError("ALREADY_EXISTS", `Symbol ${input.symbol} is already listed.`, [{ field: "symbol", description: "already listed" }]);
    const [baseScale, quoteScale] = await Promise.all([this.deps.assets.scaleOf(input.baseAsset), this.deps.assets.scaleOf(input.quoteAsset)]);
    if (baseScale === undefined) throw invalid("base_asset", `wallet has no asset ${input.baseAsset}`);
    if (quoteScale === undefined) throw invalid("quote_asset", `wallet has no asset ${input.quoteAsset}`);
    const f = input.filters;
    const spec: SymbolSpec = {
      symbol: input.symbol,
      baseAsset: input.baseAsset,
      quoteAsset: input.quoteAsset,
      baseScale,
      quoteScale,
      status: input.status === SymbolStatus.UNSPECIFIED ? SymbolStatus.HALT : input.status,
      tickSize: f.tickSize,
      stepSize: f.stepSize,
      minPrice: f.minPrice,
      maxPrice: f.maxPrice,
      minQty: f.minQty,
      maxQty: f.maxQty,
      minNotional: f.minNotional,
      maxNotional: f.maxNotional,
      marketBandBps: f.marketBandBps,
      defaultStpMode: SelfTradePreventionMode.EXPIRE_MAKER,
      ...(f.avgPriceMins === undefined ? {} : { avgPriceMins: f.avgPriceMins }),
    };
    checkFilters(spec);
    // The book opens in matching with the status it is listed with (a new book would otherwise trade).
    await this.journalStatus(spec.symbol, spec.status);
    const audit = await this.deps.symbols.add(spec, this.record(operator, "symbol.add", spec.symbol, input.reason, undefined, auditView(spec)));
    this.deps.orders.useSymbol(spec);
    this.deps.onListed?.(spec);
    return { spec, audit };
  }

  setStatus(operator: Operator, symbol: string, status: SymbolStatus, reason: string): Promise<{ spec: SymbolSpec; audit: AuditEntry }> {
    const action = ACTIONS[status];
    if (!action) throw invalid("status", "must be TRADING, HALT, CANCEL_ONLY or BREAK");
    return this.changeStatus(operator, symbol, status, action, reason);
  }

  /** The kill switch: HALT each symbol named, or every listed symbol when none is. */
  async halt(operator: Operator, symbols: readonly string[], reason: string): Promise<{ spec: SymbolSpec; audit: AuditEntry }[]> {
    const listed = await this.deps.symbols.list();
    const names = symbols.length > 0 ? [...new Set(symbols)] : listed.map((spec) => spec.symbol);
    const unknown = names.filter((name) => !listed.some((spec) => spec.symbol === name));
    if (unknown.length > 0) throw new DomainError("BAD_SYMBOL", `Invalid symbol: ${unknown.join(",")}`, unknown.map((name) => ({ field: "symbols", description: `unknown symbol ${name}` })));
    // Matching first for every symbol at once, so trading stops everywhere as fast as it can.
    await Promise.all(names.map((name) => this.journalStatus(name, SymbolStatus.HALT)));
    const results = [];
    for (const name of names) results.push(await this.changeStatus(operator, name, SymbolStatus.HALT, "symbol.kill-switch", reason));
    return results;
  }

  /** New orders stop (CANCEL_ONLY), every open order is canceled, then the symbol is on BREAK. */
  async delist(operator: Operator, symbol: string, reason: string): Promise<{ spec: SymbolSpec; canceled: number; audit: AuditEntry }> {
    const before = await this.spec(symbol);
    await this.journalStatus(symbol, SymbolStatus.CANCEL_ONLY);
    this.deps.orders.useSymbol({ ...before, status: SymbolStatus.CANCEL_ONLY });
    let canceled = 0;
    for (const account of await this.deps.store.openAccounts(symbol)) canceled += (await this.deps.orders.cancelAll(account, symbol)).length;
    await this.journalStatus(symbol, SymbolStatus.BREAK);
    const after = { ...before, status: SymbolStatus.BREAK };
    const audit = await this.deps.symbols.save(after, this.record(operator, "symbol.delist", symbol, reason, auditView(before), { ...auditView(after), canceledOrders: canceled }));
    this.deps.orders.useSymbol(after);
    return { spec: after, canceled, audit };
  }

  private async changeStatus(operator: Operator, symbol: string, status: SymbolStatus, action: string, reason: string): Promise<{ spec: SymbolSpec; audit: AuditEntry }> {
    const before = await this.spec(symbol);
    await this.journalStatus(symbol, status);
    const after = { ...before, status };
    const audit = await this.deps.symbols.save(after, this.record(operator, action, symbol, reason, auditView(before), auditView(after)));
    this.deps.orders.useSymbol(after);
    return { spec: after, audit };
  }

  private async spec(symbol: string): Promise<SymbolSpec> {
    const spec = await this.deps.symbols.get(symbol);
    if (!spec) throw new DomainError("BAD_SYMBOL", `Invalid symbol: ${symbol}`, [{ field: "symbol", description: `unknown symbol ${symbol}` }]);
    return spec;
  }

  /** Journals the status in matching, which enforces it from that command on. */
  private async journalStatus(symbol: string, status: SymbolStatus): Promise<void> {
    const command = create(CommandSchema, { symbol, timestamp: BigInt(this.deps.clock.now()), kind: { case: "setStatus", value: { status } } });
    const batch = await this.deps.matching.submit(command);
    if (batch !== "duplicate" && batch.events.some((event) => event.kind.case === "rejected")) {
      throw new DomainError("INVALID_STATE", `matching refused status ${SymbolStatus[status]} for ${symbol}.`);
    }
  }

  private record(operator: Operator, action: string, target: string, reason: string, before: unknown, after: unknown): AuditRecord {
    return { time: this.deps.clock.now(), actor: operator.userId, action, target, reason, before, after };
  }
}

/** A listing's filters: positive sizes, ordered bounds, and a tick x lot that is a whole number of quote units. */
function checkFilters(spec: SymbolSpec): void {
  let units: SymbolUnits;
  try {
    units = new SymbolUnits(spec);
  } catch (error) {
    if (error instanceof DomainError) throw error;
    throw invalid("filters", error instanceof Error ? error.message : String(error));
  }
  const price = (field: string, text: string) => units.quoteUnits(`filters.${field}`, text);
  const qty = (field: string, text: string) => units.baseOf(units.lots(`filters.${field}`, text));
  if (price("min_price", spec.minPrice) > price("max_price", spec.maxPrice)) throw invalid("filters.max_price", "must not be below min_price");
  if (qty("min_qty", spec.minQty) > qty("max_qty", spec.maxQty)) throw invalid("filters.max_qty", "must not be below min_qty");
  if (price("min_notional", spec.minNotional) > price("max_notional", spec.maxNotional)) throw invalid("filters.max_notional", "must not be below min_notional");
  if (!Number.isInteger(spec.marketBandBps) || spec.marketBandBps < 0 || spec.marketBandBps > 10_000) throw invalid("filters.market_band_bps", "must be 0..10000");
  const mins = spec.avgPriceMins;
  if (mins !== undefined && (!Number.isInteger(mins) || mins < 0 || mins > MAX_AVG_PRICE_MINS)) throw invalid("filters.avg_price_mins", `must be 0..${MAX_AVG_PRICE_MINS}`);
}
