import type { Asset, Balance } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { principalOf, type Route } from "./router.js";

// Binance's /sapi/v1 wallet endpoints that a stock client (ccxt's loadMarkets, fetchCurrencies,
// fetchTradingFees, fetchStatus) calls: system status, the account's trade fees, and each
// asset with its networks (wallet's registry) and the account's balance in it.

/** Basis points as a plain decimal: 10 -> "0.001", 0 -> "0". */
export function bpsRate(bps: number): string {
  const text = String(bps).padStart(5, "0");
  return `${text.slice(0, -4)}.${text.slice(-4)}`.replace(/0+$/, "").replace(/\.$/, "");
}

/** The asset's smallest unit as a decimal: 8 -> "0.00000001", 0 -> "1". */
const smallestUnit = (scale: number) => (scale === 0 ? "1" : `0.${"0".repeat(scale - 1)}1`);

/** A capital/config/getall row: the asset, the account's balance in it, its networks. */
export function coinConfig(asset: Asset, balance: Balance | undefined) {
  return {
    coin: asset.asset,
    depositAllEnable: asset.networks.length > 0,
    withdrawAllEnable: asset.networks.length > 0,
    name: asset.asset,
    free: balance?.free ?? "0",
    locked: balance?.locked ?? "0",
    freeze: "0",
    withdrawing: balance?.pendingWithdrawal ?? "0",
    ipoing: "0",
    ipoable: "0",
    storage: "0",
    isLegalMoney: false,
    trading: true,
    networkList: asset.networks.map((network, index) => ({
      network: network.network,
      coin: asset.asset,
      withdrawIntegerMultiple: smallestUnit(asset.scale),
      isDefault: index === 0,
      depositEnable: true,
      withdrawEnable: true,
      depositDesc: "",
      withdrawDesc: "",
      specialTips: "",
      name: network.network,
      resetAddressStatus: false,
      addressRegex: "",
      memoRegex: "",
      withdrawFee: network.withdrawFee,
      withdrawMin: network.withdrawMin,
      withdrawMax: "9999999999",
      minConfirm: network.confirmations,
      unLockConfirm: network.confirmations,
      sameAddress: network.memoRequired,
      depositDust: "0",
      busy: false,
    })),
  };
}

export function walletRoutes(): Route[] {
  return [
    {
      method: "GET",
      path: "/sapi/v1/system/status",
      security: "NONE",
      weight: 1,
      handle: async () => ({ status: 0, msg: "normal" }),
    },
    {
      method: "GET",
      path: "/sapi/v1/asset/tradeFee",
      security: "USER_DATA",
      weight: 1,
      handle: async (context) => {
        const symbol = context.params.optionalSymbol();
        const [symbols, fees] = await Promise.all([
          symbol === undefined ? context.services.symbols.all() : context.services.symbols.get(symbol).then((info) => [info]),
          context.services.wallet.getFeeRates({ accountId: principalOf(context).userId }),
        ]);
        // One tier per account: the same rates on every symbol, as its trades are charged.
        return symbols.map((s) => ({ symbol: s.symbol, makerCommission: bpsRate(fees.makerBps), takerCommission: bpsRate(fees.takerBps) }));
      },
    },
    {
      method: "GET",
      path: "/sapi/v1/capital/config/getall",
      security: "USER_DATA",
      weight: 10,
      handle: async (context) => {
        const [{ assets }, { balances }] = await Promise.all([
          context.services.wallet.listAssets({}),
          context.services.wallet.getBalances({ accountId: principalOf(context).userId }),
        ]);
        const byAsset = new Map(balances.map((b) => [b.asset, b]));
        return assets.map((asset) => coinConfig(asset, byAsset.get(asset.asset)));
      },
    },
  ];
}
