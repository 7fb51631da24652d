// Every order the load process got acknowledged must exist afterwards, as it was sent, in a
// state consistent with its acknowledgement: once every account's open orders are canceled, each
// is final, filled no more than its quantity, and filled at least what the acknowledgement said.
import type { Client } from "@connectrpc/connect";
import { OrderStatus, Side } from "#gen/exchange/common/v1/common_pb.js";
import type { Order, OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { parseUnits } from "#kit/money/decimal.js";
import type { AckReport } from "./protocol.js";

export interface Ack {
  readonly accountId: string;
  readonly orderId: bigint;
  readonly clientOrderId: string;
  readonly side: "BUY" | "SELL";
  /** As sent, scale 8; 0 for a market order (no price). */
  readonly priceUnits: bigint;
  readonly qtyUnits: bigint;
  /** The status name the acknowledgement carried (NEW, FILLED...). */
  readonly status: string;
  readonly executedUnits: bigint;
}

const FINAL = new Set([OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.EXPIRED_IN_MATCH, OrderStatus.REJECTED]);
const MAX_VIOLATIONS = 50;

/** Every order of the account on the symbol, all pages. */
export async function allOrders(orders: Client<typeof OrderService>, accountId: string, symbol: string): Promise<Order[]> {
  const all: Order[] = [];
  let pageToken = "";
  do {
    const page = await orders.listOrders({ accountId, symbol, page: { pageSize: 1000, pageToken } });
    all.push(...page.orders);
    pageToken = page.page?.nextPageToken ?? "";
  } while (pageToken !== "");
  return all;
}

/** What is wrong with the stored order, given what was sent and acknowledged ("" when nothing). */
export function ackViolation(ack: Ack, stored: Order | undefined): string {
  const name = `${ack.accountId} order ${ack.orderId} (${ack.clientOrderId})`;
  if (!stored) return `${name}: acknowledged but not stored`;
  const executed = parseUnits(stored.executedQty, 8);
  const original = parseUnits(stored.origQty, 8);
  if (stored.clientOrderId !== ack.clientOrderId) return `${name}: stored with client order id ${stored.clientOrderId}`;
  if ((stored.side === Side.BUY ? "BUY" : "SELL") !== ack.side) return `${name}: stored as ${Side[stored.side]}`;
  if (ack.priceUnits !== 0n && parseUnits(stored.price, 8) !== ack.priceUnits) return `${name}: stored at price ${stored.price}`;
  if (original !== ack.qtyUnits) return `${name}: stored with quantity ${stored.origQty}`;
  if (!FINAL.has(stored.status)) return `${name}: still ${OrderStatus[stored.status]} after every open order was canceled`;
  if (executed > original) return `${name}: executed ${stored.executedQty} of ${stored.origQty}`;
  if (executed < ack.executedUnits) return `${name}: executed ${stored.executedQty}, less than the ${ack.executedUnits} units acknowledged`;
  if (stored.status === OrderStatus.FILLED && executed !== original) return `${name}: FILLED with ${stored.executedQty} of ${stored.origQty}`;
  if (ack.status === "FILLED" && stored.status !== OrderStatus.FILLED) return `${name}: acknowledged FILLED, stored ${OrderStatus[stored.status]}`;
  return "";
}

export async function orderChecks(orders: Client<typeof OrderService>, symbol: string, acks: ReadonlyMap<string, ReadonlyMap<bigint, Ack>>): Promise<AckReport> {
  const violations: string[] = [];
  let acknowledged = 0;
  let checked = 0;
  let unacknowledgedStored = 0;
  for (const [accountId, ofAccount] of acks) {
    acknowledged += ofAccount.size;
    const stored = new Map((await allOrders(orders, accountId, symbol)).map((order) => [order.orderId, order]));
    for (const ack of ofAccount.values()) {
      checked += 1;
      const violation = ackViolation(ack, stored.get(ack.orderId));
      if (violation !== "" && violations.length < MAX_VIOLATIONS) violations.push(violation);
    }
    for (const orderId of stored.keys()) if (!ofAccount.has(orderId)) unacknowledgedStored += 1;
  }
  return { acknowledged, checked, violations, unacknowledgedStored };
}
