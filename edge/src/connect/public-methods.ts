import { AuthService, Permission } from "#gen/exchange/auth/v1/auth_pb.js";
import { MarketDataService } from "#gen/exchange/marketdata/v1/marketdata_pb.js";
import { NotifierService } from "#gen/exchange/notifier/v1/notifier_pb.js";
import { OperationResult, OrderService, type CancelReplaceOrderResponse, type PlaceOrderListRequest } from "#gen/exchange/order/v1/order_pb.js";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";

// The public Connect API's allow-list: every RPC a browser or SDK may call through the edge, who
// may call it and what it weighs. Anything else is not routed, or answers Unimplemented.

/** public: no token needed; user: a valid bearer token; read / trade / withdraw: one whose credential carries that permission. */
export type Access = "public" | "user" | "read" | "trade" | "withdraw";

export interface MethodPolicy {
  readonly access: Access;
  /** Request weight, as the REST endpoint that does the same (1 when there is none). */
  readonly weight: number;
  /** Counts as new orders for the order-rate limits: one, or as many as the request places (an order list's). */
  readonly placesOrder?: true | ((message: unknown) => number);
  /** Whether an answered call placed its orders (absent: it did); one that did not stops counting, as a refused one. */
  readonly placed?: (response: unknown) => boolean;
  /** A stream of requests admitted one by one (weight 1 each, a place as a new order); `weight` is for opening it. */
  readonly admitsEachMessage?: boolean;
  /** auth's account RPCs check the bearer token themselves: the edge forwards it. */
  readonly forwardsToken?: boolean;
  /** Refused while the caller's withdrawals are locked (24 h after a password, MFA or API-key change). */
  readonly withdrawalLock?: boolean;
}

const order = OrderService.typeName;
const wallet = WalletService.typeName;
const marketData = MarketDataService.typeName;
const auth = AuthService.typeName;
const notifier = NotifierService.typeName;

/** "<service type name>/<method name>" of every RPC the public API serves. */
export const PUBLIC_METHODS: ReadonlyMap<string, MethodPolicy> = new Map<string, MethodPolicy>([
  [`${order}/GetExchangeInfo`, { access: "public", weight: 20 }],
  [`${order}/PlaceOrder`, { access: "trade", weight: 1, placesOrder: true }],
  [`${order}/CancelOrder`, { access: "trade", weight: 1 }],
  [`${order}/CancelReplaceOrder`, { access: "trade", weight: 1, placesOrder: true, placed: (response) => (response as CancelReplaceOrderResponse).newOrderResult === OperationResult.SUCCESS }],
  [`${order}/AmendOrder`, { access: "trade", weight: 4 }],
  [`${order}/CancelAllOrders`, { access: "trade", weight: 1 }],
  [`${order}/GetOrder`, { access: "read", weight: 4 }],
  [`${order}/ListOpenOrders`, { access: "read", weight: 6 }],
  [`${order}/ListOrders`, { access: "read", weight: 20 }],
  [`${order}/ListMyTrades`, { access: "read", weight: 20 }],
  [`${order}/StreamOrderUpdates`, { access: "read", weight: 2 }],
  [`${order}/StreamOrderEntry`, { access: "trade", weight: 2, admitsEachMessage: true }],
  [`${order}/PlaceOrderList`, { access: "trade", weight: 1, placesOrder: (message) => Math.max(1, (message as PlaceOrderListRequest).orders.length) }],
  [`${order}/CancelOrderList`, { access: "trade", weight: 1 }],
  [`${order}/GetOrderList`, { access: "read", weight: 4 }],
  [`${order}/ListOrderLists`, { access: "read", weight: 20 }],
  [`${order}/ListOpenOrderLists`, { access: "read", weight: 6 }],

  [`${wallet}/ListAssets`, { access: "public", weight: 1 }],
  [`${wallet}/GetBalances`, { access: "read", weight: 20 }],
  [`${wallet}/GetDepositAddress`, { access: "read", weight: 10 }],
  [`${wallet}/ListDeposits`, { access: "read", weight: 10 }],
  [`${wallet}/ListWithdrawals`, { access: "read", weight: 10 }],
  [`${wallet}/ListLedgerEntries`, { access: "read", weight: 10 }],
  [`${wallet}/GetWithdrawalAllowList`, { access: "read", weight: 10 }],
  [`${wallet}/GetFeeRates`, { access: "read", weight: 20 }],
  [`${wallet}/RequestAccountStatement`, { access: "read", weight: 20 }],
  [`${wallet}/StreamBalanceUpdates`, { access: "read", weight: 2 }],
  // Where funds may go: the withdraw permission, not during the lock, the TOTP code checked by wallet.
  [`${wallet}/SetWithdrawalAllowList`, { access: "withdraw", weight: 10, withdrawalLock: true }],
  [`${wallet}/RequestWithdrawal`, { access: "withdraw", weight: 10, withdrawalLock: true }],

  [`${marketData}/Ping`, { access: "public", weight: 1 }],
  [`${marketData}/GetServerTime`, { access: "public", weight: 1 }],
  [`${marketData}/GetDepth`, { access: "public", weight: 25 }],
  [`${marketData}/ListTrades`, { access: "public", weight: 25 }],
  [`${marketData}/ListAggTrades`, { access: "public", weight: 4 }],
  [`${marketData}/ListKlines`, { access: "public", weight: 2 }],
  [`${marketData}/GetTicker24h`, { access: "public", weight: 2 }],
  [`${marketData}/GetBookTicker`, { access: "public", weight: 2 }],
  [`${marketData}/GetAvgPrice`, { access: "public", weight: 2 }],
  [`${marketData}/StreamTrades`, { access: "public", weight: 2 }],
  [`${marketData}/StreamAggTrades`, { access: "public", weight: 2 }],
  [`${marketData}/StreamDepth`, { access: "public", weight: 2 }],
  // Market history: scans of the search index, weighed as the heavy REST reads.
  [`${marketData}/SearchTrades`, { access: "public", weight: 10 }],
  [`${marketData}/GetTradeCandles`, { access: "public", weight: 20 }],
  [`${marketData}/GetTradeSummary`, { access: "public", weight: 20 }],
  [`${marketData}/GetVolumeByPrice`, { access: "public", weight: 20 }],

  [`${auth}/SignUp`, { access: "public", weight: 10 }],
  [`${auth}/SignIn`, { access: "public", weight: 10 }],
  [`${auth}/RefreshSession`, { access: "public", weight: 1 }],
  [`${auth}/GetJwks`, { access: "public", weight: 1 }],
  [`${auth}/ListSessions`, { access: "user", weight: 1, forwardsToken: true }],
  [`${auth}/RevokeSession`, { access: "user", weight: 1, forwardsToken: true }],
  [`${auth}/ChangePassword`, { access: "user", weight: 10, forwardsToken: true }],
  [`${auth}/EnrollTotp`, { access: "user", weight: 1, forwardsToken: true }],
  [`${auth}/ConfirmTotp`, { access: "user", weight: 1, forwardsToken: true }],
  [`${auth}/CreateApiKey`, { access: "user", weight: 1, forwardsToken: true }],
  [`${auth}/ListApiKeys`, { access: "user", weight: 1, forwardsToken: true }],
  [`${auth}/RevokeApiKey`, { access: "user", weight: 1, forwardsToken: true }],
  [`${auth}/ListLoginHistory`, { access: "user", weight: 1, forwardsToken: true }],
  [`${auth}/SetAntiPhishingCode`, { access: "user", weight: 1, forwardsToken: true }],

  // Where notifications go: read with a read key; changing them (a webhook receives trade data) needs a user token.
  [`${notifier}/GetNotificationPreferences`, { access: "read", weight: 1 }],
  [`${notifier}/SetNotificationPreferences`, { access: "user", weight: 1 }],
]);

/** The permission a bearer credential needs for `access` (none for public RPCs). */
export function permissionFor(access: Access): Permission | undefined {
  if (access === "withdraw") return Permission.WITHDRAW;
  return access === "trade" ? Permission.TRADE : access === "read" ? Permission.READ : undefined;
}
