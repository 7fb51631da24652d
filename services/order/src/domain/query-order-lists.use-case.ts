import { DomainError } from "#kit/errors/domain-error.js";
import type { OrderStore } from "../ports/order-store.port.js";
import { findList, listView } from "./cancel-order-list.use-case.js";
import type { OrderListQuery, OrderListView } from "./order-list.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/** Binance's orderList, allOrderList and openOrderList: reads, nothing else. */
export class QueryOrderLists {
  constructor(private readonly store: OrderStore) {}

  async get(accountId: string, orderListId: bigint, listClientOrderId: string): Promise<OrderListView> {
    return listView(this.store, await findList(this.store, accountId, orderListId, listClientOrderId));
  }

  /** fromId excludes a time window; a window is at most 24 hours; limit 1..1000 (0: 500). */
  async all(accountId: string, query: { fromId?: bigint; startTime?: bigint; endTime?: bigint; limit: number }): Promise<OrderListView[]> {
    if (query.fromId !== undefined && (query.startTime !== undefined || query.endTime !== undefined)) throw new DomainError("OPTIONAL_PARAMS_BAD_COMBO", "fromId cannot be sent with startTime or endTime.");
    if (query.startTime !== undefined && query.endTime !== undefined && (query.endTime < query.startTime || query.endTime - query.startTime > BigInt(DAY_MS))) throw new DomainError("MORE_THAN_XX_HOURS");
    const selection: OrderListQuery = {
      fromId: query.fromId === undefined ? undefined : Number(query.fromId),
      startTime: query.startTime === undefined ? undefined : Number(query.startTime),
      endTime: query.endTime === undefined ? undefined : Number(query.endTime),
      limit: query.limit <= 0 ? 500 : Math.min(query.limit, 1000),
    };
    const lists = await this.store.findLists(accountId, selection);
    return Promise.all(lists.map((list) => listView(this.store, list)));
  }

  async open(accountId: string): Promise<OrderListView[]> {
    const lists = await this.store.openLists(accountId);
    return Promise.all(lists.map((list) => listView(this.store, list)));
  }
}
