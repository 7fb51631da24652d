import { create } from "@bufbuild/protobuf";
import { CommandSchema } from "#gen/exchange/matching/v1/matching_pb.js";
import type { Clock } from "#kit/clock/clock.js";
import { DomainError } from "#kit/errors/domain-error.js";
import type { MatchingGateway } from "../ports/matching-gateway.port.js";
import type { OrderStore } from "../ports/order-store.port.js";
import type { AppliedSequences } from "./applied-sequences.js";
import { cancelRejected } from "./matching-reasons.js";
import type { Order } from "./order.js";
import { viewOf, type OrderList, type OrderListView } from "./order-list.js";
import { DONE_STATUSES } from "./order-status.js";
import type { SerialQueue } from "./serial-queue.js";
import type { SymbolCatalog } from "./symbol-catalog.js";

export interface CancelOrderListDeps {
  readonly store: OrderStore;
  readonly matching: MatchingGateway;
  readonly clock: Clock;
}

/** A list of the account by id or client id; another account's list is reported as missing. */
export async function findList(store: OrderStore, accountId: string, orderListId: bigint, listClientOrderId: string): Promise<OrderList> {
  if (orderListId === 0n && listClientOrderId === "") {
    throw new DomainError("MANDATORY_PARAM_EMPTY_OR_MALFORMED", "Param 'orderListId' or 'listClientOrderId' must be sent.", [{ field: "order_list_id", description: "orderListId or listClientOrderId is required" }]);
  }
  const list = orderListId !== 0n ? await store.getList(Number(orderListId)) : await store.getListByClientId(accountId, listClientOrderId);
  if (!list || list.accountId !== accountId || (listClientOrderId !== "" && list.listClientOrderId !== listClientOrderId)) throw new DomainError("NO_SUCH_ORDER", "Order list does not exist.");
  return list;
}

export async function listView(store: OrderStore, list: OrderList): Promise<OrderListView> {
  const orders = await Promise.all(list.orderIds.map((id) => store.get(list.symbol, id)));
  return viewOf(list, orders.filter((order): order is Order => order !== undefined));
}

/**
 * Binance's DELETE orderList: cancels every open order of the list in one matching command
 * (matching cancels a whole list when any of its orders is canceled, pending orders included),
 * and answers the list once the cancel's events are applied.
 */
export class CancelOrderList {
  constructor(
    private readonly deps: CancelOrderListDeps,
    private readonly symbols: SymbolCatalog,
    private readonly queue: SerialQueue,
    private readonly progress: AppliedSequences,
  ) {}

  async cancel(accountId: string, symbol: string, orderListId: bigint, listClientOrderId: string): Promise<OrderListView> {
    this.symbols.get(symbol);
    const list = await findList(this.deps.store, accountId, orderListId, listClientOrderId);
    if (list.symbol !== symbol) throw new DomainError("NO_SUCH_ORDER", "Order list does not exist.");
    const { orders } = await listView(this.deps.store, list);
    const open = orders.find((order) => !DONE_STATUSES.has(order.status));
    if (!open) throw new DomainError("CANCEL_REJECTED", "Unknown order list sent.");
    const batch = await this.queue.run(symbol, () =>
      this.deps.matching.submit(
        create(CommandSchema, { symbol, timestamp: BigInt(this.deps.clock.now()), kind: { case: "cancel", value: { orderId: BigInt(open.orderId), accountId } } }),
      ),
    );
    if (batch === "duplicate") throw new DomainError("CANCEL_REJECTED", "Unknown order list sent.");
    const rejected = batch.events.find((event) => event.kind.case === "rejected");
    if (rejected?.kind.case === "rejected") throw cancelRejected(rejected.kind.value.reason);
    await this.progress.waitFor(symbol, Number(batch.sequence));
    return listView(this.deps.store, list);
  }
}
