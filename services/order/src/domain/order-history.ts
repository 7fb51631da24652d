import { DomainError } from "#kit/errors/domain-error.js";

// Binance's allOrders / myTrades selection, checked once here and pushed down to the store.

/** Binance: "The time between startTime and endTime can't be longer than 24 hours." */
export const MAX_WINDOW_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_HISTORY_LIMIT = 500;
export const MAX_HISTORY_LIMIT = 1000;

/** Orders of an account and symbol, oldest first (allOrders). */
export interface OrderQuery {
  /** Orders with order id >= this. */
  readonly fromOrderId?: number;
  /** Creation time window, ms, inclusive. */
  readonly startTime?: number;
  readonly endTime?: number;
  readonly limit: number;
}

/** Trades of an account and symbol, oldest first (myTrades). */
export interface TradeQuery {
  /** Trades of this order only. */
  readonly orderId?: number;
  /** Trades with trade id >= this. */
  readonly fromId?: number;
  /** Trade time window, ms, inclusive. */
  readonly startTime?: number;
  readonly endTime?: number;
  readonly limit: number;
}

/**
 * Which rows a query reads: from a lower bound up (`ascending`), or the newest ones down (then
 * turned oldest first); by time when only a time window bounds it, else by id.
 */
export function scanOf(query: { fromId?: number; startTime?: number; endTime?: number }): { ascending: boolean; byTime: boolean } {
  return {
    ascending: query.fromId !== undefined || query.startTime !== undefined,
    byTime: query.fromId === undefined && (query.startTime !== undefined || query.endTime !== undefined),
  };
}

/** A history request as the RPC carries it: optional ids and times, limit 0 for the default. */
export interface HistoryRequest {
  readonly orderId?: bigint;
  readonly fromId?: bigint;
  readonly startTime?: bigint;
  readonly endTime?: bigint;
  readonly limit: number;
  readonly pageToken: string;
}

/** Whether a request asks for Binance's filtered selection rather than the newest-first pages. */
export function isFiltered(request: HistoryRequest): boolean {
  return request.orderId !== undefined || request.fromId !== undefined || request.startTime !== undefined || request.endTime !== undefined || request.limit > 0;
}

const badCombo = (description: string) => new DomainError("OPTIONAL_PARAMS_BAD_COMBO", undefined, [{ field: "page", description }]);

/** Ids beyond 2^53 match nothing anyway: clamp instead of losing precision. */
const idOf = (id: bigint | undefined) => (id === undefined ? undefined : id > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(id));

function limitOf(limit: number): number {
  if (limit > MAX_HISTORY_LIMIT) {
    throw new DomainError("INVALID_PARAMETER", `Invalid value for 'limit': must be between 1 and ${MAX_HISTORY_LIMIT}.`, [{ field: "limit", description: `1..${MAX_HISTORY_LIMIT}, 0 for ${DEFAULT_HISTORY_LIMIT}` }]);
  }
  return limit === 0 ? DEFAULT_HISTORY_LIMIT : limit;
}

function windowOf(request: HistoryRequest): { startTime?: number; endTime?: number } {
  const time = (name: "startTime" | "endTime") => {
    const value = request[name];
    if (value === undefined) return undefined;
    if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) throw new DomainError("INVALID_PARAMETER", `Invalid value for '${name}'.`, [{ field: name, description: "ms since the epoch, >= 0" }]);
    return Number(value);
  };
  const startTime = time("startTime");
  const endTime = time("endTime");
  if (startTime !== undefined && endTime !== undefined) {
    if (startTime > endTime) throw new DomainError("INVALID_PARAMETER", "startTime must not be after endTime.", [{ field: "startTime", description: "after endTime" }]);
    if (endTime - startTime > MAX_WINDOW_MS) throw new DomainError("MORE_THAN_XX_HOURS", undefined, [{ field: "endTime", description: "at most 24 hours after startTime" }]);
  }
  return { startTime, endTime };
}

/** allOrders: orderId (from), startTime, endTime (24 h at most), limit; any combination. */
export function orderQueryOf(request: HistoryRequest): OrderQuery {
  if (request.pageToken !== "") throw badCombo("a page token cannot be combined with from_order_id, start_time, end_time or limit");
  return { fromOrderId: idOf(request.fromId), ...windowOf(request), limit: limitOf(request.limit) };
}

/**
 * myTrades, in Binance's supported combinations only: nothing, orderId, fromId, orderId + fromId,
 * startTime and/or endTime. fromId or orderId with a time window is -1128.
 */
export function tradeQueryOf(request: HistoryRequest): TradeQuery {
  if (request.pageToken !== "") throw badCombo("a page token cannot be combined with order_id, from_id, start_time, end_time or limit");
  const window = windowOf(request);
  const timed = window.startTime !== undefined || window.endTime !== undefined;
  if (timed && request.fromId !== undefined) throw new DomainError("OPTIONAL_PARAMS_BAD_COMBO", undefined, [{ field: "from_id", description: "cannot be combined with start_time or end_time" }]);
  if (timed && request.orderId !== undefined) throw new DomainError("OPTIONAL_PARAMS_BAD_COMBO", undefined, [{ field: "order_id", description: "cannot be combined with start_time or end_time" }]);
  return { orderId: idOf(request.orderId), fromId: idOf(request.fromId), ...window, limit: limitOf(request.limit) };
}
