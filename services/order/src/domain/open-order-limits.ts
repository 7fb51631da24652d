import { addCounts, checkOpenOrderLimits, NO_OPEN_ORDERS, type OpenOrderCounts, type SymbolFilters } from "./symbol-filters.js";

/** Whether a symbol limits open orders at all (else nothing is read or counted). */
export function limitsOpenOrders(filters: SymbolFilters): boolean {
  return filters.maxNumOrders > 0 || filters.maxNumAlgoOrders > 0 || filters.maxNumIcebergOrders > 0;
}

/** One placement of a group, as the MAX_NUM_* filters see it. */
export interface GroupPlacement {
  readonly accountId: string;
  /** "" when the client gave none. */
  readonly clientOrderId: string;
  readonly adding: Readonly<OpenOrderCounts>;
}

/**
 * MAX_NUM_ORDERS, MAX_NUM_ALGO_ORDERS and MAX_NUM_ICEBERG_ORDERS for a group of single-order
 * placements of one symbol, checked where the group is stored: `stored` holds each account's open
 * orders committed before the group (the groups of a symbol are stored one after another, so
 * every earlier placement is in it, once). In order, each placement is admitted when its account's
 * open orders plus those admitted before it stay within the limits; a client order id repeated in
 * the group counts once (the store answers the repeat with the first). Answers the refusal of
 * each placement (undefined: admitted).
 */
export function admitGroup(filters: SymbolFilters, stored: ReadonlyMap<string, OpenOrderCounts>, group: readonly GroupPlacement[]): (Error | undefined)[] {
  const open = new Map(stored);
  const seen = new Set<string>();
  return group.map(({ accountId, clientOrderId, adding }) => {
    if (clientOrderId !== "") {
      const key = `${accountId}\u0000${clientOrderId}`;
      if (seen.has(key)) return undefined;
      seen.add(key);
    }
    const now = open.get(accountId) ?? NO_OPEN_ORDERS;
    try {
      checkOpenOrderLimits(filters, now, adding);
    } catch (error) {
      return error as Error;
    }
    open.set(accountId, addCounts(now, adding));
    return undefined;
  });
}

/**
 * The same limits for an order list at placement (lists are stored one by one, not in groups): an account's open
 * orders on the symbol as the store counts them, plus this process's placements of the account
 * admitted and not yet answered (read before the check, so two placements in flight at once
 * cannot both take the last place). A placement stored but not yet answered is counted twice
 * meanwhile: near the limit, a burst may be refused early, never let past it. Placements through
 * another replica at the same instant are not seen (the store is the only shared count).
 */
export class OpenOrderLimits {
  private readonly inFlight = new Map<string, OpenOrderCounts>();

  constructor(private readonly stored: (accountId: string, symbol: string) => Promise<OpenOrderCounts>) {}

  /** The stored counts, or none when the symbol has no such limit (no read). */
  read(accountId: string, symbol: string, filters: SymbolFilters): Promise<OpenOrderCounts> {
    if (!limitsOpenOrders(filters)) return Promise.resolve(NO_OPEN_ORDERS);
    return this.stored(accountId, symbol);
  }

  /**
   * Admits `adding` (throws -1013 "Filter failure: MAX_NUM_..." past a limit); answers what
   * forgets it once the placement is answered. Synchronous after `read`: no other admission of
   * this process interleaves.
   */
  admit(accountId: string, symbol: string, filters: SymbolFilters, stored: Readonly<OpenOrderCounts>, adding: Readonly<OpenOrderCounts>): () => void {
    const key = `${accountId}\u0000${symbol}`;
    const pending = this.inFlight.get(key) ?? NO_OPEN_ORDERS;
    checkOpenOrderLimits(filters, addCounts(stored, pending), adding);
    this.inFlight.set(key, addCounts(pending, adding));
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const now = this.inFlight.get(key);
      if (!now) return;
      const left = { orders: now.orders - adding.orders, algo: now.algo - adding.algo, iceberg: now.iceberg - adding.iceberg };
      if (left.orders <= 0) this.inFlight.delete(key);
      else this.inFlight.set(key, left);
    };
  }
}
