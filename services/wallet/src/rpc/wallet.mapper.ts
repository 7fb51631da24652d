import { create } from "@bufbuild/protobuf";
import {
  AssetSchema,
  BalanceSchema,
  BalanceUpdateReason,
  BalanceUpdateSchema,
  DepositSchema,
  HoldResultSchema,
  HoldSchema,
  HoldState,
  LedgerEntrySchema,
  SettleTradeResponseSchema,
  SettleTradesResultSchema,
  TransferStatus,
  WithdrawalSchema,
  type Asset,
  type Balance,
  type BalanceUpdate as BalanceUpdateMessage,
  type Deposit,
  type Hold,
  type HoldResult,
  type LedgerEntry as LedgerEntryMessage,
  type SettleTradeRequest,
  type SettleTradeResponse,
  type SettleTradesResult,
  type Withdrawal,
} from "#gen/exchange/wallet/v1/wallet_pb.js";
import { isDomainError } from "#kit/errors/domain-error.js";
import { DecimalFormatError, formatUnits, parseUnits } from "#kit/money/decimal.js";
import type { AssetRegistry, AssetSpec } from "../domain/assets.js";
import type { BalanceRow, DepositDoc, HoldDoc, LedgerEntry, SettleTrade, WithdrawalDoc } from "../domain/ledger.js";
import { encodeBalanceCursor, type BalanceUpdateReason as Reason } from "../domain/balance-updates.js";
import type { BalanceStreamMessage } from "../domain/follow-balance-updates.use-case.js";
import type { HoldOutcome } from "../domain/batch-holds.use-case.js";
import type { TradeSettlement } from "../domain/wallet.use-case.js";
import { invalidField } from "../domain/wallet.errors.js";

/** Decimal string -> smallest units of the asset; a bad value is an InvalidArgument naming the field. */
export function toUnits(assets: AssetRegistry, asset: string, text: string, field: string, assetField = "asset"): bigint {
  const spec = assets.get(asset);
  if (!spec) throw invalidField(assetField, `unknown asset ${asset}`);
  try {
    return parseUnits(text, spec.scale);
  } catch (error) {
    if (error instanceof DecimalFormatError) throw invalidField(field, error.why, "BAD_PRECISION");
    throw error;
  }
}

/** A SettleTradeRequest as the domain's trade; an unknown asset or a bad amount throws, naming the field. */
export function toSettleTrade(assets: AssetRegistry, request: SettleTradeRequest): SettleTrade {
  return {
    tradeId: request.tradeId,
    symbol: request.symbol,
    baseAsset: request.baseAsset,
    quoteAsset: request.quoteAsset,
    buyer: request.buyerAccountId,
    seller: request.sellerAccountId,
    buyerHoldId: request.buyerHoldId,
    sellerHoldId: request.sellerHoldId,
    base: toUnits(assets, request.baseAsset, request.baseAmount, "base_amount", "base_asset"),
    quote: toUnits(assets, request.quoteAsset, request.quoteAmount, "quote_amount", "quote_asset"),
    buyerIsMaker: request.buyerIsMaker,
  };
}

/** A settled trade's fees, each in the asset that side received (buyer: base, seller: quote). */
export function toSettledMessage(assets: AssetRegistry, trade: SettleTrade, settled: { buyerFee: bigint; sellerFee: bigint; duplicate: boolean }): SettleTradeResponse {
  return create(SettleTradeResponseSchema, {
    buyerFee: formatUnits(settled.buyerFee, assets.get(trade.baseAsset)!.scale),
    sellerFee: formatUnits(settled.sellerFee, assets.get(trade.quoteAsset)!.scale),
    duplicate: settled.duplicate,
  });
}

/** One trade's slot of a SettleTrades answer: its fees, or the error a SettleTrade call would have failed with. */
export function toSettlementResult(assets: AssetRegistry, trade: SettleTrade, settlement: TradeSettlement): SettleTradesResult {
  return settlement.ok
    ? create(SettleTradesResultSchema, { result: { case: "settled", value: toSettledMessage(assets, trade, settlement) } })
    : toTradeErrorResult(settlement.error);
}

/** A trade that failed alone: the error table's key (UNKNOWN for anything but a DomainError) and the message. */
export function toTradeErrorResult(error: unknown): SettleTradesResult {
  const code = isDomainError(error) ? error.key : "UNKNOWN";
  const message = error instanceof Error ? error.message : String(error);
  return create(SettleTradesResultSchema, { result: { case: "error", value: { code, message } } });
}

/** One hold of a batch: done, or its error as a trade's (the error table's key and the message). */
export function toHoldResult(outcome: HoldOutcome): HoldResult {
  if (outcome.ok) return create(HoldResultSchema, { result: { case: "done", value: true } });
  const { error } = outcome;
  return create(HoldResultSchema, { result: { case: "error", value: { code: isDomainError(error) ? error.key : "UNKNOWN", message: error.message } } });
}

function format(assets: AssetRegistry, asset: string, units: bigint): string {
  return formatUnits(units, assets.get(asset)?.scale ?? 0);
}

export function toAssetMessage(spec: AssetSpec): Asset {
  return create(AssetSchema, {
    asset: spec.asset,
    scale: spec.scale,
    networks: spec.networks.map((network) => ({
      network: network.network,
      withdrawFee: formatUnits(network.withdrawFee, spec.scale),
      withdrawMin: formatUnits(network.withdrawMin, spec.scale),
      confirmations: network.confirmations,
      memoRequired: network.memoRequired,
    })),
  });
}

export function toBalanceMessage(assets: AssetRegistry, row: BalanceRow): Balance {
  return create(BalanceSchema, {
    asset: row.asset,
    free: format(assets, row.asset, row.available),
    locked: format(assets, row.asset, row.locked),
    pendingWithdrawal: format(assets, row.asset, row.pending),
  });
}

const HOLD_STATES: Record<HoldDoc["state"], HoldState> = {
  pending: HoldState.PENDING,
  posted: HoldState.POSTED,
  voided: HoldState.VOIDED,
  expired: HoldState.VOIDED,
};

export function toHoldMessage(assets: AssetRegistry, hold: HoldDoc): Hold {
  return create(HoldSchema, {
    holdId: hold.id.slice("hold:".length),
    accountId: hold.account,
    asset: hold.asset,
    amount: format(assets, hold.asset, hold.amount),
    remaining: format(assets, hold.asset, hold.remaining),
    state: HOLD_STATES[hold.state],
  });
}

const WITHDRAWAL_STATUS: Record<WithdrawalDoc["status"], TransferStatus> = {
  pending: TransferStatus.PENDING,
  awaiting_approval: TransferStatus.AWAITING_APPROVAL,
  completed: TransferStatus.COMPLETED,
  rejected: TransferStatus.REJECTED,
};

export function toWithdrawalMessage(assets: AssetRegistry, withdrawal: WithdrawalDoc): Withdrawal {
  return create(WithdrawalSchema, {
    withdrawalId: withdrawal.id.slice("withdrawal:".length),
    asset: withdrawal.asset,
    network: withdrawal.network,
    amount: format(assets, withdrawal.asset, withdrawal.amount),
    fee: format(assets, withdrawal.asset, withdrawal.fee),
    address: withdrawal.address,
    memo: withdrawal.memo,
    status: WITHDRAWAL_STATUS[withdrawal.status],
    txId: withdrawal.txId,
    time: BigInt(withdrawal.createdAt),
    accountId: withdrawal.account,
  });
}

export function toDepositMessage(assets: AssetRegistry, deposit: DepositDoc): Deposit {
  return create(DepositSchema, {
    depositId: deposit.id.slice("deposit:".length),
    asset: deposit.asset,
    network: deposit.network,
    amount: format(assets, deposit.asset, deposit.amount),
    txId: deposit.txId,
    confirmations: deposit.confirmations,
    status: deposit.status === "completed" ? TransferStatus.COMPLETED : TransferStatus.PENDING,
    time: BigInt(deposit.createdAt),
  });
}

export function toEntryMessage(assets: AssetRegistry, entry: LedgerEntry): LedgerEntryMessage {
  return create(LedgerEntrySchema, {
    transferId: entry.transferId,
    accountId: entry.account,
    asset: entry.asset,
    availableDelta: format(assets, entry.asset, entry.available),
    lockedDelta: format(assets, entry.asset, entry.locked),
    kind: entry.kind,
    time: BigInt(entry.time),
  });
}

const REASONS: Record<Reason, BalanceUpdateReason> = {
  deposit: BalanceUpdateReason.DEPOSIT,
  withdrawal: BalanceUpdateReason.WITHDRAWAL,
  withdrawal_returned: BalanceUpdateReason.WITHDRAWAL_RETURNED,
  adjustment: BalanceUpdateReason.ADJUSTMENT,
  transfer: BalanceUpdateReason.TRANSFER,
};

/** One message of StreamBalanceUpdates: its cursor and, past the first, the update (delta in the asset's scale). */
export function toBalanceStreamMessage(assets: AssetRegistry, message: BalanceStreamMessage): { cursor: string; update?: BalanceUpdateMessage } {
  const cursor = encodeBalanceCursor(message.cursor);
  const update = message.update;
  if (!update) return { cursor };
  return {
    cursor,
    update: create(BalanceUpdateSchema, {
      accountId: update.account,
      asset: update.asset,
      delta: format(assets, update.asset, update.delta),
      reason: REASONS[update.reason],
      reference: update.reference,
      time: BigInt(update.time),
    }),
  };
}
