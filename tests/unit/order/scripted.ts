// Test doubles of order's gateway ports: a scripted matching (accepts placements, cancels what is open, applies each
// batch through the consumer's apply; `down` makes it unreachable) and a wallet that records its calls in order.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { OrderStatus } from "#gen/exchange/common/v1/common_pb.js";
import { EventBatchSchema, UpdateReason, type Command, type EventBatch, type EventSchema } from "#gen/exchange/matching/v1/matching_pb.js";
import { toConnectError } from "#kit/errors/connect-errors.js";
import { DomainError } from "#kit/errors/domain-error.js";
import type { Orders } from "../../../services/order/src/domain/orders.use-case.js";
import type { MatchingGateway } from "../../../services/order/src/ports/matching-gateway.port.js";
import { holdEach, settleThenReleaseEach, type HoldRequest, type TradeFees, type TradeSettlement, type WalletGateway } from "../../../services/order/src/ports/wallet-gateway.port.js";

export class ScriptedMatching implements MatchingGateway {
  orders!: Orders;
  readonly commands: Command["kind"]["case"][] = [];
  readonly open = new Set<bigint>();
  /** Placed order ids, with their account: a placement delivered again is answered "duplicate", as matching does. */
  private readonly placed = new Map<bigint, string>();
  /** Each open order's budget, as matching keeps it (no fills here). */
  private readonly budgets = new Map<bigint, bigint>();
  down = false;
  private sequence = 0;

  async submit(command: Command): Promise<EventBatch> {
    if (this.down) throw new ConnectError("matching is unreachable", Code.Unavailable);
    this.commands.push(command.kind.case);
    const events: MessageInitShape<typeof EventSchema>[] = [];
    if (command.kind.case === "place") {
      const orderId = command.kind.value.orderId;
      this.open.add(orderId);
      this.placed.set(orderId, command.kind.value.accountId);
      this.budgets.set(orderId, BigInt(command.kind.value.budget));
      events.push({ kind: { case: "accepted", value: { orderId } } }, { kind: { case: "orderUpdated", value: { orderId, status: OrderStatus.NEW, filledLots: "0", remainingLots: command.kind.value.quantityLots } } });
    } else if (command.kind.case === "cancel") {
      const orderId = command.kind.value.orderId;
      if (this.open.delete(orderId)) events.push({ kind: { case: "orderUpdated", value: { orderId, status: OrderStatus.CANCELED, filledLots: "0", remainingLots: "0" } } });
      else events.push({ kind: { case: "rejected", value: { orderId, reason: "UNKNOWN_ORDER" } } });
    } else if (command.kind.case === "cancelReplace") {
      // One command: the cancel, then (unless it failed in STOP_ON_FAILURE mode) the placement.
      // A new order funded by the canceled one: placed only after a successful cancel of an order whose budget covers it.
      const { cancelOrderId, allowFailure, place, budgetFromCanceled } = command.kind.value;
      const orderId = place!.orderId;
      const from = budgetFromCanceled === "" ? 0n : BigInt(budgetFromCanceled);
      const covered = (this.budgets.get(cancelOrderId) ?? 0n) >= from;
      this.placed.set(orderId, place!.accountId);
      if (this.open.delete(cancelOrderId)) events.push({ kind: { case: "orderUpdated", value: { orderId: cancelOrderId, status: OrderStatus.CANCELED, filledLots: "0", remainingLots: "0" } } });
      else events.push({ kind: { case: "rejected", value: { orderId: cancelOrderId, reason: "UNKNOWN_ORDER" } } });
      const failed = events[0]!.kind!.case === "rejected";
      if (failed && !allowFailure) events.push({ kind: { case: "rejected", value: { orderId, reason: "UNKNOWN_ORDER" } } });
      else if ((failed && from > 0n) || !covered) events.push({ kind: { case: "rejected", value: { orderId, reason: "INSUFFICIENT_BUDGET" } } });
      else {
        this.budgets.set(orderId, BigInt(place!.budget) + from);
        this.open.add(orderId);
        events.push({ kind: { case: "accepted", value: { orderId } } }, { kind: { case: "orderUpdated", value: { orderId, status: OrderStatus.NEW, filledLots: "0", remainingLots: place!.quantityLots } } });
      }
    } else if (command.kind.case === "cancelAll") {
      for (const orderId of [...this.open].filter((id) => this.placed.get(id) === (command.kind.value as { accountId: string }).accountId)) {
        this.open.delete(orderId);
        events.push({ kind: { case: "orderUpdated", value: { orderId, status: OrderStatus.CANCELED, filledLots: "0", remainingLots: "0" } } });
      }
    } else if (command.kind.case === "amend") {
      const { orderId, newQuantityLots } = command.kind.value;
      events.push({ kind: { case: "orderUpdated", value: { orderId, status: OrderStatus.NEW, reason: UpdateReason.AMENDED, filledLots: "0", remainingLots: newQuantityLots } } });
    }
    const batch = create(EventBatchSchema, { symbol: command.symbol, sequence: BigInt(++this.sequence), timestamp: command.timestamp, events });
    setImmediate(() => void this.orders.apply(command.symbol, batch));
    return batch;
  }

  async submitBatch(_symbol: string, commands: readonly Command[]): Promise<(EventBatch | "duplicate")[]> {
    const batches: (EventBatch | "duplicate")[] = [];
    for (const command of commands) {
      const placing = command.kind.case === "place" ? command.kind.value : command.kind.case === "cancelReplace" ? command.kind.value.place : undefined;
      batches.push(placing && this.placed.has(placing.orderId) && !this.down ? "duplicate" : await this.submit(command));
    }
    return batches;
  }

  async *events(): AsyncIterable<EventBatch> {}

  async bestAskTicks(): Promise<bigint | undefined> {
    return undefined;
  }

  async headSequence(): Promise<number> {
    return this.sequence;
  }
}

export class RecordingWallet implements WalletGateway {
  holdAll(holds: readonly HoldRequest[]) {
    return holdEach(this, holds);
  }

  settleAndRelease(trades: readonly TradeSettlement[], releaseHoldIds: readonly string[]) {
    return settleThenReleaseEach(this, trades, releaseHoldIds);
  }

  readonly calls: string[] = [];
  /** Takes the next hold but loses its answer (wallet killed mid-call). */
  loseNextHoldAnswer = false;
  /** Free USDT of the one account these tests use, in USDT. */
  free = 3_000;
  private readonly holds = new Map<string, number>();

  async hold(holdId: string, _accountId: string, _asset: string, amount: string): Promise<void> {
    if (this.holds.has(holdId)) return; // idempotent by hold id, as wallet is
    const value = Number(amount);
    if (value > this.free) throw toConnectError(new DomainError("INSUFFICIENT_BALANCE"));
    this.free -= value;
    this.holds.set(holdId, value);
    this.calls.push(`hold ${holdId} ${value}`);
    if (this.loseNextHoldAnswer) {
      this.loseNextHoldAnswer = false;
      throw new DomainError("DISCONNECTED", "wallet did not answer");
    }
  }

  async release(holdId: string): Promise<void> {
    this.free += this.holds.get(holdId) ?? 0;
    this.holds.set(holdId, 0);
    this.calls.push(`release ${holdId}`);
  }

  async moveHold(holdId: string, toHoldId: string, amount: string): Promise<void> {
    const remaining = this.holds.get(holdId) ?? 0;
    this.free += remaining - Number(amount);
    this.holds.set(holdId, 0);
    this.holds.set(toHoldId, (this.holds.get(toHoldId) ?? 0) + Number(amount));
    this.calls.push(`move ${holdId} ${toHoldId} ${amount}`);
  }

  async available(): Promise<string> {
    return String(this.free);
  }

  async reduce(holdId: string, requestId: string, amount: string): Promise<void> {
    this.free += Number(amount);
    this.holds.set(holdId, (this.holds.get(holdId) ?? 0) - Number(amount));
    this.calls.push(`reduce ${holdId} ${requestId} ${amount}`);
  }

  async settleMany(_trades: readonly TradeSettlement[]): Promise<TradeFees[]> {
    return [];
  }
}
