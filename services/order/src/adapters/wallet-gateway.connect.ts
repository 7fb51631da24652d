import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { toConnectError } from "#kit/errors/connect-errors.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { ERROR_TABLE, type ErrorKey } from "#kit/errors/error-table.js";
import type { SettleTradesResult } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { holdEach, type HoldRequest, type TradeFees, type TradeSettlement, type WalletGateway } from "../ports/wallet-gateway.port.js";

/** The most trades one SettleTrades call may carry (SettleTradesRequest.trades max_items). */
export const SETTLE_TRADES_MAX = 4096;

/** wallet.v1 over any Connect transport; its errors (e.g. insufficient balance) pass through unchanged. */
export class ConnectWalletGateway implements WalletGateway {
  private readonly client;

  constructor(transport: Transport) {
    this.client = createClient(WalletService, transport);
  }

  async hold(holdId: string, accountId: string, asset: string, amount: string): Promise<void> {
    try {
      await this.client.createHold({ holdId, accountId, asset, amount });
    } catch (error) {
      // No answer, or wallet gone mid-call: the hold may have been taken. DISCONNECTED says so (and is retryable).
      const code = ConnectError.from(error).code;
      if (code === Code.Unavailable || code === Code.DeadlineExceeded) throw new DomainError("DISCONNECTED", `wallet did not answer the hold ${holdId}: ${ConnectError.from(error).rawMessage}`);
      throw error;
    }
  }

  /**
   * One CreateHolds call per 4096 holds. A wallet that does not know the call yet (a rolling upgrade) gets one
   * CreateHold per hold instead.
   */
  async holdAll(holds: readonly HoldRequest[]): Promise<(Error | undefined)[]> {
    const answers: (Error | undefined)[] = [];
    for (let start = 0; start < holds.length; start += SETTLE_TRADES_MAX) {
      const chunk = holds.slice(start, start + SETTLE_TRADES_MAX);
      let results;
      try {
        ({ results } = await this.client.createHolds({ holds: chunk }));
      } catch (error) {
        const code = ConnectError.from(error).code;
        if (code === Code.Unimplemented) {
          answers.push(...(await holdEach(this, chunk)));
          continue;
        }
        const failure = code === Code.Unavailable || code === Code.DeadlineExceeded ? new DomainError("DISCONNECTED", `wallet did not answer ${chunk.length} holds: ${ConnectError.from(error).rawMessage}`) : error instanceof Error ? error : new Error(String(error));
        answers.push(...chunk.map(() => failure));
        continue;
      }
      if (results.length !== chunk.length) throw new ConnectError(`CreateHolds answered ${results.length} results for ${chunk.length} holds`, Code.Internal);
      results.forEach(({ result }, index) => answers.push(result.case === "done" ? undefined : itemFailed("hold", chunk[index]!.holdId, result.case === "error" ? result.value : undefined)));
    }
    return answers;
  }

  /**
   * One SettleTrades call carrying the releases (voided by wallet after the trades, only if all settled). A wallet
   * that does not know void_hold_ids yet (a rolling upgrade) answers no voids: the holds are then released one by
   * one, as before.
   */
  async settleAndRelease(trades: readonly TradeSettlement[], releaseHoldIds: readonly string[]): Promise<TradeFees[]> {
    if (trades.length > SETTLE_TRADES_MAX || releaseHoldIds.length > SETTLE_TRADES_MAX) {
      const fees = await this.settleMany(trades);
      await Promise.all(releaseHoldIds.map((holdId) => this.release(holdId)));
      return fees;
    }
    if (trades.length === 0 && releaseHoldIds.length === 0) return [];
    let answer;
    try {
      answer = await this.client.settleTrades({ trades: [...trades], voidHoldIds: [...releaseHoldIds] });
    } catch (error) {
      // A wallet without void_hold_ids refuses a call with no trades.
      if (trades.length > 0 || ConnectError.from(error).code !== Code.InvalidArgument) throw error;
      await Promise.all(releaseHoldIds.map((holdId) => this.release(holdId)));
      return [];
    }
    const fees = feesOf(trades, answer.results);
    if (answer.voids.length !== releaseHoldIds.length) {
      await Promise.all(releaseHoldIds.map((holdId) => this.release(holdId)));
      return fees;
    }
    answer.voids.forEach(({ result }, index) => {
      // No hold: it was never created (the order was refused before), so nothing to release.
      if (result.case === "error" && result.value.code === "NOT_FOUND") return;
      if (result.case !== "done") throw itemFailed("release", releaseHoldIds[index]!, result.case === "error" ? result.value : undefined);
    });
    return fees;
  }

  async release(holdId: string): Promise<void> {
    try {
      await this.client.voidHold({ holdId });
    } catch (error) {
      // No hold: it was never created (the order was refused before), so nothing to release.
      if (ConnectError.from(error).code !== Code.NotFound) throw error;
    }
  }

  async moveHold(holdId: string, toHoldId: string, amount: string): Promise<void> {
    // A wallet without MoveHold answers Unimplemented: the consumer waits for it, nothing released meanwhile.
    await this.client.moveHold({ holdId, toHoldId, amount });
  }

  async available(accountId: string, asset: string): Promise<string> {
    const { balances } = await this.client.getBalances({ accountId, assets: [asset] });
    return balances.find((balance) => balance.asset === asset)?.free ?? "0";
  }

  async reduce(holdId: string, requestId: string, amount: string): Promise<void> {
    await this.client.reduceHold({ holdId, requestId, amount });
  }

  /**
   * One SettleTrades call per 4096 trades, in order. A trade that failed in its slot is thrown
   * as the ConnectError a SettleTrade call for it would have failed with (same code, ErrorInfo
   * key and Binance reason), its message and metadata naming the trade; later chunks are not sent.
   */
  async settleMany(trades: readonly TradeSettlement[]): Promise<TradeFees[]> {
    const fees: TradeFees[] = [];
    for (let start = 0; start < trades.length; start += SETTLE_TRADES_MAX) {
      const chunk = trades.slice(start, start + SETTLE_TRADES_MAX);
      const { results } = await this.client.settleTrades({ trades: chunk });
      fees.push(...feesOf(chunk, results));
    }
    return fees;
  }
}

/** Each trade's fees from its result; throws for the first trade that failed. */
function feesOf(trades: readonly TradeSettlement[], results: readonly SettleTradesResult[]): TradeFees[] {
  if (results.length !== trades.length) throw new ConnectError(`SettleTrades answered ${results.length} results for ${trades.length} trades`, Code.Internal);
  return results.map(({ result }, index) => {
    const tradeId = trades[index]!.tradeId;
    if (result.case === "settled") return { buyerFee: result.value.buyerFee, sellerFee: result.value.sellerFee };
    if (result.case === "error") throw tradeFailed(tradeId, result.value.code, result.value.message);
    throw tradeFailed(tradeId, "UNKNOWN", "SettleTrades answered neither fees nor an error");
  });
}

/** One hold of a batch that failed: the ConnectError its own CreateHold or VoidHold call would have failed with. */
function itemFailed(what: "hold" | "release", holdId: string, error: { readonly code: string; readonly message: string } | undefined): ConnectError {
  const code = error?.code ?? "UNKNOWN";
  const key: ErrorKey = Object.hasOwn(ERROR_TABLE, code) ? (code as ErrorKey) : "UNKNOWN";
  return toConnectError(new DomainError(key, error?.message ?? `wallet answered neither done nor an error for the ${what} of ${holdId}`, [], { holdId }));
}

function tradeFailed(tradeId: string, code: string, message: string): ConnectError {
  const key: ErrorKey = Object.hasOwn(ERROR_TABLE, code) ? (code as ErrorKey) : "UNKNOWN";
  return toConnectError(new DomainError(key, `settling trade ${tradeId} failed: ${message}`, [], { tradeId }));
}
