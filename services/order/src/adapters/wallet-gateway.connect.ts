import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { toConnectError } from "#kit/errors/connect-errors.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { ERROR_TABLE, type ErrorKey } from "#kit/errors/error-table.js";
import type { TradeFees, TradeSettlement, WalletGateway } from "../ports/wallet-gateway.port.js";

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

  async release(holdId: string): Promise<void> {
    try {
      await this.client.voidHold({ holdId });
    } catch (error) {
      // No hold: it was never created (the order was refused before), so nothing to release.
      if (ConnectError.from(error).code !== Code.NotFound) throw error;
    }
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
      if (results.length !== chunk.length) throw new ConnectError(`SettleTrades answered ${results.length} results for ${chunk.length} trades`, Code.Internal);
      for (const [index, { result }] of results.entries()) {
        const tradeId = chunk[index]!.tradeId;
        if (result.case === "settled") fees.push({ buyerFee: result.value.buyerFee, sellerFee: result.value.sellerFee });
        else if (result.case === "error") throw tradeFailed(tradeId, result.value.code, result.value.message);
        else throw tradeFailed(tradeId, "UNKNOWN", "SettleTrades answered neither fees nor an error");
      }
    }
    return fees;
  }
}

function tradeFailed(tradeId: string, code: string, message: string): ConnectError {
  const key: ErrorKey = Object.hasOwn(ERROR_TABLE, code) ? (code as ErrorKey) : "UNKNOWN";
  return toConnectError(new DomainError(key, `settling trade ${tradeId} failed: ${message}`, [], { tradeId }));
}
