import { expect } from "vitest";
import type { Client } from "@connectrpc/connect";
import { OrderStatus } from "#gen/exchange/common/v1/common_pb.js";
import type { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import type { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { parseUnits } from "#kit/money/decimal.js";

const FINAL = new Set([OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.EXPIRED_IN_MATCH, OrderStatus.REJECTED]);

/**
 * With every order closed: no order is still working, nothing is locked, each account's
 * balances are exactly its deposits plus its own trades minus its own fees (so no trade was
 * lost or settled twice), and the fee account holds exactly the fees charged. BTCUSDT, scale 8.
 */
export async function reconcileClosedBook(
  orders: Client<typeof OrderService>,
  wallet: Client<typeof WalletService>,
  deposits: ReadonlyMap<string, { btc: bigint; usdt: bigint }>,
): Promise<{ trades: number }> {
  let feesBtc = 0n;
  let feesUsdt = 0n;
  let tradeSides = 0;
  for (const [accountId, deposit] of deposits) {
    const history = await orders.listOrders({ accountId, symbol: "BTCUSDT", page: { pageSize: 1000 } });
    for (const order of history.orders) expect(FINAL.has(order.status), `order ${order.orderId} is ${OrderStatus[order.status]}`).toBe(true);
    const { balances } = await wallet.getBalances({ accountId });
    const of = (asset: string) => balances.find((b) => b.asset === asset) ?? { free: "0", locked: "0" };
    expect(parseUnits(of("BTC").locked, 8), `${accountId} BTC locked`).toBe(0n);
    expect(parseUnits(of("USDT").locked, 8), `${accountId} USDT locked`).toBe(0n);
    let btc = deposit.btc;
    let usdt = deposit.usdt;
    let token = "";
    do {
      const page = await orders.listMyTrades({ accountId, symbol: "BTCUSDT", page: { pageSize: 1000, pageToken: token } });
      for (const trade of page.trades) {
        tradeSides += 1;
        const qty = parseUnits(trade.qty, 8);
        const quote = parseUnits(trade.quoteQty, 8);
        const fee = parseUnits(trade.commission, 8);
        if (trade.isBuyer) {
          btc += qty - fee;
          usdt -= quote;
          feesBtc += fee;
        } else {
          btc -= qty;
          usdt += quote - fee;
          feesUsdt += fee;
        }
      }
      token = page.page?.nextPageToken ?? "";
    } while (token !== "");
    expect(parseUnits(of("BTC").free, 8), `${accountId} BTC`).toBe(btc);
    expect(parseUnits(of("USDT").free, 8), `${accountId} USDT`).toBe(usdt);
  }
  const fees = await wallet.getBalances({ accountId: "@fees" });
  const feeOf = (asset: string) => parseUnits(fees.balances.find((b) => b.asset === asset)?.free ?? "0", 8);
  expect(feeOf("BTC")).toBe(feesBtc);
  expect(feeOf("USDT")).toBe(feesUsdt);
  return { trades: tradeSides / 2 };
}

/** One asset's balance of an account as the wallet reports it (zeros when it has none). */
export async function balanceOf(wallet: Client<typeof WalletService>, accountId: string, asset: string) {
  const { balances } = await wallet.getBalances({ accountId, assets: [asset] });
  return balances[0] ?? { asset, free: "0", locked: "0", pendingWithdrawal: "0" };
}
