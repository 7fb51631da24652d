import { create } from "@bufbuild/protobuf";
import { ContingencyType, OrderStatus, OrderType, SelfTradePreventionMode, Side, SymbolStatus, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import {
  EventBatchSchema,
  UpdateReason,
  type Command as CommandMessage,
  type EventBatch as EventBatchMessage,
  type PlaceCommand,
} from "#gen/exchange/matching/v1/matching_pb.js";
import { DomainError } from "#kit/errors/domain-error.js";
import type * as domain from "../domain/commands.js";
import type { EventBatch, MatchingEvent } from "../domain/events.js";
import type { AccountIds } from "../ports/account-ids.port.js";

// proto <-> domain for matching. Ticks, lots and budgets arrive as decimal integer strings and
// must be safe integers (the engine's number rule); anything else is refused here, by field.

const INTEGER = /^(0|[1-9][0-9]*)$/;

function invalid(field: string, description: string): never {
  throw new DomainError("INVALID_PARAMETER", `${field}: ${description}`, [{ field, description }]);
}

function safeInteger(field: string, text: string): number {
  if (!INTEGER.test(text)) invalid(field, "must be a non-negative decimal integer");
  const value = Number(text);
  if (!Number.isSafeInteger(value)) invalid(field, "exceeds 2^53-1");
  return value;
}

function optionalInteger(field: string, text: string): number | undefined {
  return text === "" ? undefined : safeInteger(field, text);
}

function orderId(field: string, id: bigint): number {
  if (id <= 0n || id > BigInt(Number.MAX_SAFE_INTEGER)) invalid(field, "must be between 1 and 2^53-1");
  return Number(id);
}

const SIDES: Partial<Record<Side, domain.Side>> = { [Side.BUY]: "BUY", [Side.SELL]: "SELL" };
const TYPES: Partial<Record<OrderType, domain.OrderType>> = {
  [OrderType.LIMIT]: "LIMIT",
  [OrderType.MARKET]: "MARKET",
  [OrderType.LIMIT_MAKER]: "LIMIT_MAKER",
  [OrderType.STOP_LOSS]: "STOP_LOSS",
  [OrderType.STOP_LOSS_LIMIT]: "STOP_LOSS_LIMIT",
  [OrderType.TAKE_PROFIT]: "TAKE_PROFIT",
  [OrderType.TAKE_PROFIT_LIMIT]: "TAKE_PROFIT_LIMIT",
};
const TIFS: Partial<Record<TimeInForce, domain.TimeInForce>> = {
  [TimeInForce.GTC]: "GTC",
  [TimeInForce.IOC]: "IOC",
  [TimeInForce.FOK]: "FOK",
};
const STP: Partial<Record<SelfTradePreventionMode, domain.StpMode>> = {
  [SelfTradePreventionMode.NONE]: "NONE",
  [SelfTradePreventionMode.EXPIRE_TAKER]: "EXPIRE_TAKER",
  [SelfTradePreventionMode.EXPIRE_MAKER]: "EXPIRE_MAKER",
  [SelfTradePreventionMode.EXPIRE_BOTH]: "EXPIRE_BOTH",
};

const CONTINGENCIES: Partial<Record<ContingencyType, domain.ContingencyType>> = {
  [ContingencyType.OCO]: "OCO",
  [ContingencyType.OTO]: "OTO",
  [ContingencyType.OTOCO]: "OTOCO",
};

async function toOrder(place: PlaceCommand, accounts: AccountIds): Promise<Omit<domain.PlaceOrder, "type" | "ts">> {
  const side = SIDES[place.side] ?? invalid("place.side", "must be BUY or SELL");
  const orderType = TYPES[place.type] ?? invalid("place.type", "unknown order type");
  if (place.accountId === "") invalid("place.account_id", "is required");
  return {
    orderId: orderId("place.order_id", place.orderId),
    userId: await accounts.numberOf(place.accountId),
    side,
    orderType,
    tif: place.timeInForce === TimeInForce.UNSPECIFIED ? undefined : TIFS[place.timeInForce],
    price: optionalInteger("place.price_ticks", place.priceTicks),
    qty: optionalInteger("place.quantity_lots", place.quantityLots),
    quoteQty: optionalInteger("place.quote_quantity", place.quoteQuantity),
    stopPrice: optionalInteger("place.stop_price_ticks", place.stopPriceTicks),
    trailingDelta: place.trailingDeltaBps === 0 ? undefined : place.trailingDeltaBps,
    icebergQty: optionalInteger("place.iceberg_lots", place.icebergLots),
    budget: safeInteger("place.budget", place.budget),
    stp: place.selfTradePreventionMode === SelfTradePreventionMode.UNSPECIFIED ? undefined : STP[place.selfTradePreventionMode],
  };
}

export async function toDomainCommand(message: CommandMessage, accounts: AccountIds): Promise<domain.Command> {
  const ts = Number(message.timestamp);
  if (!Number.isSafeInteger(ts) || ts < 0) invalid("timestamp", "must be milliseconds since the epoch");
  const kind = message.kind;
  switch (kind.case) {
    case "place":
      return { type: "PLACE", ts, ...(await toOrder(kind.value, accounts)) };
    case "cancel":
      return { type: "CANCEL", ts, orderId: orderId("cancel.order_id", kind.value.orderId), userId: kind.value.accountId === "" ? undefined : await accounts.numberOf(kind.value.accountId) };
    case "amend":
      return {
        type: "AMEND",
        ts,
        orderId: orderId("amend.order_id", kind.value.orderId),
        userId: kind.value.accountId === "" ? undefined : await accounts.numberOf(kind.value.accountId),
        newQty: optionalInteger("amend.new_quantity_lots", kind.value.newQuantityLots),
        newPrice: optionalInteger("amend.new_price_ticks", kind.value.newPriceTicks),
      };
    case "cancelAll":
      if (kind.value.accountId === "") invalid("cancel_all.account_id", "is required");
      return { type: "CANCEL_ALL", ts, userId: await accounts.numberOf(kind.value.accountId) };
    case "cancelReplace": {
      const place = kind.value.place ?? invalid("cancel_replace.place", "is required");
      return {
        type: "CANCEL_REPLACE",
        ts,
        cancelOrderId: orderId("cancel_replace.cancel_order_id", kind.value.cancelOrderId),
        mode: kind.value.allowFailure ? "ALLOW_FAILURE" : "STOP_ON_FAILURE",
        order: await toOrder(place, accounts),
        ...(kind.value.budgetFromCanceled === "" ? {} : { budgetFromCanceled: safeInteger("cancel_replace.budget_from_canceled", kind.value.budgetFromCanceled) }),
      };
    }
    case "placeList": {
      const contingency = CONTINGENCIES[kind.value.contingencyType] ?? invalid("place_list.contingency_type", "must be OCO, OTO or OTOCO");
      if (kind.value.orders.length < 2 || kind.value.orders.length > 3) invalid("place_list.orders", "must hold 2 or 3 orders");
      const orders = [];
      for (const place of kind.value.orders) orders.push(await toOrder(place, accounts));
      return { type: "PLACE_LIST", ts, contingency, orders };
    }
    case "fundPending":
      return {
        type: "FUND_PENDING",
        ts,
        workingOrderId: orderId("fund_pending.working_order_id", kind.value.workingOrderId),
        funded: kind.value.funded,
        budgets: kind.value.budgets.map((budget, index) => safeInteger(`fund_pending.budgets[${index}]`, budget)),
      };
    case "setStatus":
      switch (kind.value.status) {
        case SymbolStatus.TRADING:
          return { type: "SET_STATUS", ts, status: "TRADING" };
        case SymbolStatus.CANCEL_ONLY:
          return { type: "SET_STATUS", ts, status: "TRADING", cancelOnly: true };
        case SymbolStatus.HALT:
          return { type: "SET_STATUS", ts, status: "HALT" };
        case SymbolStatus.BREAK:
          return { type: "SET_STATUS", ts, status: "BREAK" };
        default:
          return invalid("set_status.status", "unknown status");
      }
    default:
      return invalid("kind", "a command is required");
  }
}

/** The order ids a command introduces (for idempotent delivery of placements). */
export function placedOrderIds(command: domain.Command): number[] {
  if (command.type === "PLACE") return [command.orderId];
  if (command.type === "CANCEL_REPLACE") return [command.order.orderId];
  if (command.type === "PLACE_LIST") return command.orders.map((order) => order.orderId);
  return [];
}

const STATUS: Record<string, { status: OrderStatus; reason: UpdateReason }> = {
  NEW: { status: OrderStatus.NEW, reason: UpdateReason.UNSPECIFIED },
  PARTIALLY_FILLED: { status: OrderStatus.PARTIALLY_FILLED, reason: UpdateReason.UNSPECIFIED },
  FILLED: { status: OrderStatus.FILLED, reason: UpdateReason.UNSPECIFIED },
  CANCELED: { status: OrderStatus.CANCELED, reason: UpdateReason.UNSPECIFIED },
  EXPIRED: { status: OrderStatus.EXPIRED, reason: UpdateReason.UNSPECIFIED },
  EXPIRED_IN_MATCH: { status: OrderStatus.EXPIRED_IN_MATCH, reason: UpdateReason.UNSPECIFIED },
  AMENDED: { status: OrderStatus.NEW, reason: UpdateReason.AMENDED },
  TRIGGERED: { status: OrderStatus.NEW, reason: UpdateReason.TRIGGERED },
  TRAILING_ACTIVATED: { status: OrderStatus.NEW, reason: UpdateReason.TRAILING_ACTIVATED },
};

function toEvent(event: MatchingEvent, accounts: AccountIds) {
  switch (event.kind) {
    case "ACCEPTED":
      return { kind: { case: "accepted" as const, value: { orderId: BigInt(event.orderId) } } };
    case "REJECTED":
      return { kind: { case: "rejected" as const, value: { orderId: BigInt(event.orderId), reason: event.reason } } };
    case "TRADE":
      return {
        kind: {
          case: "trade" as const,
          value: {
            tradeId: BigInt(event.tradeId),
            makerOrderId: BigInt(event.makerOrderId),
            takerOrderId: BigInt(event.takerOrderId),
            makerAccountId: accounts.nameOf(event.makerUserId),
            takerAccountId: accounts.nameOf(event.takerUserId),
            priceTicks: String(event.price),
            quantityLots: String(event.qty),
            takerSide: event.takerSide === "BUY" ? Side.BUY : Side.SELL,
          },
        },
      };
    case "ORDER_UPDATE": {
      const mapped = STATUS[event.status];
      const status = mapped.status === OrderStatus.NEW && event.filledQty > 0 ? OrderStatus.PARTIALLY_FILLED : mapped.status;
      return {
        kind: {
          case: "orderUpdated" as const,
          value: {
            orderId: BigInt(event.orderId),
            status,
            reason: mapped.reason,
            filledLots: String(event.filledQty),
            remainingLots: String(event.openQty),
            canceledLots: String(event.canceledQty),
            remainingBudget: String(event.remainingBudget),
          },
        },
      };
    }
    case "BOOK_DELTA":
      return { kind: { case: "book" as const, value: { side: event.side === "BUY" ? Side.BUY : Side.SELL, priceTicks: String(event.price), quantityLots: String(event.qty) } } };
  }
}

export function toEventBatchMessage(batch: EventBatch, accounts: AccountIds): EventBatchMessage {
  return create(EventBatchSchema, {
    symbol: batch.symbol,
    sequence: BigInt(batch.seq),
    timestamp: BigInt(batch.ts),
    events: batch.events.map((event) => toEvent(event, accounts)),
  });
}
