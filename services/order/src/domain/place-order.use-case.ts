import { create } from "@bufbuild/protobuf";
import { OrderStatus, OrderType, Side } from "#gen/exchange/common/v1/common_pb.js";
import { CommandSchema } from "#gen/exchange/matching/v1/matching_pb.js";
import type { Clock } from "#kit/clock/clock.js";
import { formatUnits } from "#kit/money/decimal.js";
import type { MatchingGateway } from "../ports/matching-gateway.port.js";
import type { OrderStore } from "../ports/order-store.port.js";
import type { OrderUpdatePublisher } from "../ports/order-updates.port.js";
import type { WalletGateway } from "../ports/wallet-gateway.port.js";
import type { AppliedSequences } from "./applied-sequences.js";
import { placementRejected } from "./matching-reasons.js";
import { holdIdOf, type Order } from "./order.js";
import { orderIntent, type PlaceRequest } from "./order-intent.js";
import type { SerialQueue } from "./serial-queue.js";
import type { SymbolCatalog } from "./symbol-catalog.js";

export interface PlaceOrderDeps {
  readonly store: OrderStore;
  readonly matching: MatchingGateway;
  readonly wallet: WalletGateway;
  readonly clock: Clock;
  readonly newClientOrderId?: () => string;
  readonly updates?: OrderUpdatePublisher;
}

/**
 * Placing an order: validate and convert (order-intent), allocate the id, persist (the row is
 * the outbox), hold the budget in wallet, deliver to matching, and answer once the consumer
 * applied the order's events (or with what is stored after the wait).
 */
export class PlaceOrder {
  constructor(
    private readonly deps: PlaceOrderDeps,
    private readonly symbols: SymbolCatalog,
    private readonly queue: SerialQueue,
    private readonly progress: AppliedSequences,
  ) {}

  async place(accountId: string, symbol: string, request: PlaceRequest, clientOrderId: string): Promise<Order> {
    const { spec, units } = this.symbols.get(symbol);
    if (clientOrderId !== "") {
      const existing = await this.deps.store.getByClientId(accountId, clientOrderId);
      if (existing) return existing;
    }
    const needsTouch = request.side === Side.BUY && request.type !== OrderType.LIMIT && request.type !== OrderType.LIMIT_MAKER && request.quoteOrderQty === "" && request.price === "";
    const bestAsk = needsTouch ? await this.deps.matching.bestAskTicks(symbol) : undefined;
    const intent = orderIntent(request, spec, units, bestAsk);
    const outcome = await this.queue.run(symbol, async (): Promise<{ existing: Order } | { sequence?: number; orderId: number }> => {
      const now = this.deps.clock.now();
      const orderId = await this.deps.store.nextOrderId(symbol);
      const order: Order = {
        symbol,
        orderId,
        accountId,
        clientOrderId: clientOrderId || (this.deps.newClientOrderId?.() ?? `x-${symbol}-${orderId}`),
        side: intent.side,
        type: intent.type,
        timeInForce: intent.timeInForce,
        priceTicks: intent.priceTicks,
        quantityLots: intent.quantityLots,
        quoteOrderUnits: intent.quoteOrderUnits,
        stopPriceTicks: intent.stopPriceTicks,
        icebergLots: intent.icebergLots,
        trailingDelta: intent.trailingDelta,
        stp: intent.stp,
        holdAsset: intent.holdAsset,
        holdUnits: intent.holdUnits,
        status: OrderStatus.PENDING_NEW,
        filledLots: 0n,
        quoteUnits: 0n,
        submitted: false,
        createdAt: now,
        updatedAt: now,
      };
      const { order: stored, created } = await this.deps.store.insert(order);
      if (!created) return { existing: stored };
      return this.deliver(stored, intent.budget, intent.quoteNotional);
    });
    if ("existing" in outcome) return outcome.existing;
    return this.settled(symbol, outcome.sequence, outcome.orderId);
  }

  /** Holds the budget and hands the order to matching. Runs under the symbol's queue. */
  private async deliver(order: Order, budget: bigint, quoteNotional: bigint): Promise<{ sequence?: number; orderId: number }> {
    const { spec } = this.symbols.get(order.symbol);
    try {
      const scale = order.holdAsset === spec.baseAsset ? spec.baseScale : spec.quoteScale;
      await this.deps.wallet.hold(holdIdOf(order.symbol, order.orderId), order.accountId, order.holdAsset, formatUnits(order.holdUnits, scale));
    } catch (error) {
      order.status = OrderStatus.REJECTED;
      order.submitted = true;
      order.updatedAt = this.deps.clock.now();
      await this.deps.store.update(order);
      this.deps.updates?.publish([{ order: { ...order }, executionType: "REJECTED", rejectReason: "HOLD_REFUSED", time: order.updatedAt, balancesChanged: false }]);
      throw error;
    }
    const command = create(CommandSchema, {
      symbol: order.symbol,
      timestamp: BigInt(order.createdAt),
      kind: {
        case: "place",
        value: {
          orderId: BigInt(order.orderId),
          accountId: order.accountId,
          side: order.side,
          type: order.type,
          timeInForce: order.timeInForce,
          priceTicks: order.priceTicks === 0n ? "" : String(order.priceTicks),
          quantityLots: order.quantityLots === 0n ? "" : String(order.quantityLots),
          quoteQuantity: quoteNotional === 0n ? "" : String(quoteNotional),
          stopPriceTicks: order.stopPriceTicks === 0n ? "" : String(order.stopPriceTicks),
          trailingDeltaBps: order.trailingDelta,
          icebergLots: order.icebergLots === 0n ? "" : String(order.icebergLots),
          selfTradePreventionMode: order.stp,
          budget: String(budget),
        },
      },
    });
    const batch = await this.deps.matching.submit(command);
    order.submitted = true;
    await this.deps.store.update(order);
    return { sequence: batch === "duplicate" ? undefined : Number(batch.sequence), orderId: order.orderId };
  }

  /** Waits (bounded) until the consumer applied `sequence`, then answers with the stored order or its rejection. */
  private async settled(symbol: string, sequence: number | undefined, orderId: number): Promise<Order> {
    if (sequence !== undefined) await this.progress.waitFor(symbol, sequence);
    const rejection = this.progress.takeRejection(symbol, orderId);
    if (rejection !== undefined) {
      throw placementRejected(rejection);
    }
    return (await this.deps.store.get(symbol, orderId))!;
  }

  /** Delivers orders persisted but not yet handed to matching (after a crash), oldest first. */
  async relay(symbol: string): Promise<void> {
    await this.queue.run(symbol, async () => {
      for (const order of await this.deps.store.undelivered(symbol)) {
        if (order.status !== OrderStatus.PENDING_NEW) continue;
        const { units } = this.symbols.get(symbol);
        const buy = order.side === Side.BUY;
        const quoteNotional = order.quoteOrderUnits === 0n ? 0n : order.quoteOrderUnits / units.notionalUnits;
        const budget = buy ? order.holdUnits / units.notionalUnits : order.quantityLots;
        await this.deliver(order, budget, quoteNotional).catch(() => undefined);
      }
    });
  }
}
