import { Permission } from "#gen/exchange/auth/v1/auth_pb.js";
import { tradeResponse } from "./binance.mapper.js";
import { historyLimit, timeParam } from "./order.routes.js";
import { principalOf, type Route } from "./router.js";

// The account: balances and fee rates (wallet) and trades (order). Always the principal's own account.

/** Basis points as Binance's decimal rate: 10 -> "0.00100000". */
export const commissionRate = (bps: number) => {
  const text = String(bps).padStart(5, "0");
  return `${text.slice(0, -4)}.${text.slice(-4)}0000`;
};

export function accountRoutes(): Route[] {
  return [
    {
      method: "GET",
      path: "/api/v3/account",
      security: "USER_DATA",
      weight: 20,
      handle: async (context) => {
        const principal = principalOf(context);
        const omitZero = context.params.optional("omitZeroBalances") === "true";
        const [{ balances }, fees] = await Promise.all([
          context.services.wallet.getBalances({ accountId: principal.userId }),
          // The account's own tier's rates, as its trades are charged (legacy fields: whole basis points).
          context.services.wallet.getFeeRates({ accountId: principal.userId }),
        ]);
        const isZero = (text: string) => !/[1-9]/.test(text);
        return {
          makerCommission: fees.makerBps,
          takerCommission: fees.takerBps,
          buyerCommission: 0,
          sellerCommission: 0,
          commissionRates: { maker: commissionRate(fees.makerBps), taker: commissionRate(fees.takerBps), buyer: "0.00000000", seller: "0.00000000" },
          canTrade: principal.permissions.includes(Permission.TRADE),
          canWithdraw: principal.permissions.includes(Permission.WITHDRAW),
          canDeposit: true,
          brokered: false,
          requireSelfTradePrevention: false,
          preventSor: false,
          updateTime: context.now(),
          accountType: "SPOT",
          balances: balances
            .filter((b) => !omitZero || !isZero(b.free) || !isZero(b.locked))
            .map((b) => ({ asset: b.asset, free: b.free, locked: b.locked })),
          permissions: ["SPOT"],
        };
      },
    },
    {
      method: "GET",
      path: "/api/v3/myTrades",
      security: "USER_DATA",
      weight: 20,
      handle: async (context) => {
        const { params, services } = context;
        const accountId = principalOf(context).userId;
        const symbol = params.symbol();
        const { trades } = await services.order.listMyTrades({
          accountId,
          symbol,
          orderId: params.id("orderId"),
          fromId: params.id("fromId"),
          startTime: timeParam(params, "startTime"),
          endTime: timeParam(params, "endTime"),
          limit: historyLimit(params),
        });
        return trades.map(tradeResponse);
      },
    },
  ];
}
