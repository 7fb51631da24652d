import type { ConnectRouter, HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { AuthService, type Principal } from "#gen/exchange/auth/v1/auth_pb.js";
import { MarketDataService } from "#gen/exchange/marketdata/v1/marketdata_pb.js";
import { NotifierService } from "#gen/exchange/notifier/v1/notifier_pb.js";
import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { DomainError } from "#kit/errors/domain-error.js";
import type { RateLimiter } from "../rate-limit/rate-limiter.js";
import type { EdgeServices } from "../rest/services.js";
import { callerOf, clientIpOf } from "./caller.js";
import { orderEntryThroughEdge } from "./order-entry.js";

// The public Connect API's RPCs over the services behind (public-methods.ts says who may call
// each). Every RPC that names an account acts for the caller only: an empty account_id is the
// caller's, any other is PermissionDenied. What is not here (wallet CreditAccount,
// ApproveWithdrawal, auth Authenticate, VerifyMfa, ...) answers Unimplemented: the services' own
// APIs trust their callers and are never exposed.

/**
 * The account a request may name: the caller's own. Empty means the caller's; any other id is
 * PermissionDenied (order and wallet trust their callers, so the edge grants no support or admin
 * rights on other accounts here).
 */
export function ownAccount(principal: Principal, named: string, field: string): string {
  if (named === "" || named === principal.userId) return principal.userId;
  throw new DomainError("FORBIDDEN", `Not allowed to act on account ${named}: the public API acts for the signed-in user only.`, [{ field, description: "must be empty or the signed-in user's id" }], { userId: named });
}

/** For auth's account RPCs: an empty user_id is the caller's; auth itself decides on others (assertCanAct). */
function userIdOrCaller(principal: Principal, named: string): string {
  return named === "" ? principal.userId : named;
}

function bearerHeader(context: HandlerContext): { headers: Record<string, string> } {
  return { headers: { authorization: context.requestHeader.get("authorization") ?? "" } };
}

/** The allow-listed RPCs over the services behind the edge; `limiter` admits each request of StreamOrderEntry. */
export function publicConnectRoutes(services: EdgeServices, limiter?: RateLimiter) {
  const account = (context: HandlerContext, named: string, field = "account_id") => ownAccount(callerOf(context), named, field);
  const call = (context: HandlerContext) => ({ signal: context.signal });

  const orderImpl: Partial<ServiceImpl<typeof OrderService>> = {
    getExchangeInfo: (request, context) => services.order.getExchangeInfo(request, call(context)),
    placeOrder: (request, context) => services.order.placeOrder({ ...request, accountId: account(context, request.accountId) }, call(context)),
    cancelOrder: (request, context) => services.order.cancelOrder({ ...request, accountId: account(context, request.accountId) }, call(context)),
    cancelReplaceOrder: (request, context) => {
      if (!request.cancel || !request.place) throw new DomainError("MANDATORY_PARAM_EMPTY_OR_MALFORMED", "cancel and place are required.");
      const cancel = { ...request.cancel, accountId: account(context, request.cancel.accountId, "cancel.account_id") };
      const place = { ...request.place, accountId: account(context, request.place.accountId, "place.account_id") };
      return services.order.cancelReplaceOrder({ ...request, cancel, place }, call(context));
    },
    amendOrder: (request, context) => services.order.amendOrder({ ...request, accountId: account(context, request.accountId) }, call(context)),
    cancelAllOrders: (request, context) => services.order.cancelAllOrders({ ...request, accountId: account(context, request.accountId) }, call(context)),
    getOrder: (request, context) => services.order.getOrder({ ...request, accountId: account(context, request.accountId) }, call(context)),
    listOpenOrders: (request, context) => services.order.listOpenOrders({ ...request, accountId: account(context, request.accountId) }, call(context)),
    listOrders: (request, context) => services.order.listOrders({ ...request, accountId: account(context, request.accountId) }, call(context)),
    listMyTrades: (request, context) => services.order.listMyTrades({ ...request, accountId: account(context, request.accountId) }, call(context)),
    async *streamOrderUpdates(request, context) {
      yield* services.order.streamOrderUpdates({ ...request, accountId: account(context, request.accountId) }, call(context));
    },
    streamOrderEntry: orderEntryThroughEdge(services, limiter, ownAccount),
    placeOrderList: (request, context) => {
      const accountId = account(context, request.accountId);
      const orders = request.orders.map((order, i) => ({ ...order, accountId: account(context, order.accountId, `orders[${i}].account_id`) }));
      return services.order.placeOrderList({ ...request, accountId, orders }, call(context));
    },
    cancelOrderList: (request, context) => services.order.cancelOrderList({ ...request, accountId: account(context, request.accountId) }, call(context)),
    getOrderList: (request, context) => services.order.getOrderList({ ...request, accountId: account(context, request.accountId) }, call(context)),
    listOrderLists: (request, context) => services.order.listOrderLists({ ...request, accountId: account(context, request.accountId) }, call(context)),
    listOpenOrderLists: (request, context) => services.order.listOpenOrderLists({ ...request, accountId: account(context, request.accountId) }, call(context)),
  };

  const walletImpl: Partial<ServiceImpl<typeof WalletService>> = {
    listAssets: (request, context) => services.wallet.listAssets(request, call(context)),
    getBalances: (request, context) => services.wallet.getBalances({ ...request, accountId: account(context, request.accountId) }, call(context)),
    getDepositAddress: (request, context) => services.wallet.getDepositAddress({ ...request, accountId: account(context, request.accountId) }, call(context)),
    listDeposits: (request, context) => services.wallet.listDeposits({ ...request, accountId: account(context, request.accountId) }, call(context)),
    listWithdrawals: (request, context) => services.wallet.listWithdrawals({ ...request, accountId: account(context, request.accountId) }, call(context)),
    listLedgerEntries: (request, context) => services.wallet.listLedgerEntries({ ...request, accountId: account(context, request.accountId) }, call(context)),
    // The TOTP code goes through as sent: wallet asks auth (VerifyMfa) and alone decides; the lock and
    // the withdraw permission were checked by callerInterceptor.
    requestWithdrawal: (request, context) => services.wallet.requestWithdrawal({ ...request, accountId: account(context, request.accountId) }, call(context)),
    getFeeRates: (request, context) => services.wallet.getFeeRates({ ...request, accountId: account(context, request.accountId) }, call(context)),
    requestAccountStatement: (request, context) => services.wallet.requestAccountStatement({ ...request, accountId: account(context, request.accountId) }, call(context)),
    getWithdrawalAllowList: (request, context) => services.wallet.getWithdrawalAllowList({ ...request, accountId: account(context, request.accountId) }, call(context)),
    setWithdrawalAllowList: (request, context) => services.wallet.setWithdrawalAllowList({ ...request, accountId: account(context, request.accountId) }, call(context)),
    async *streamBalanceUpdates(request, context) {
      yield* services.wallet.streamBalanceUpdates({ ...request, accountId: account(context, request.accountId) }, call(context));
    },
  };

  const marketDataImpl: Partial<ServiceImpl<typeof MarketDataService>> = {
    ping: (request, context) => services.marketData.ping(request, call(context)),
    getServerTime: (request, context) => services.marketData.getServerTime(request, call(context)),
    getDepth: (request, context) => services.marketData.getDepth(request, call(context)),
    listTrades: (request, context) => services.marketData.listTrades(request, call(context)),
    listAggTrades: (request, context) => services.marketData.listAggTrades(request, call(context)),
    listKlines: (request, context) => services.marketData.listKlines(request, call(context)),
    getTicker24h: (request, context) => services.marketData.getTicker24h(request, call(context)),
    getBookTicker: (request, context) => services.marketData.getBookTicker(request, call(context)),
    getAvgPrice: (request, context) => services.marketData.getAvgPrice(request, call(context)),
    searchTrades: (request, context) => services.marketData.searchTrades(request, call(context)),
    getTradeCandles: (request, context) => services.marketData.getTradeCandles(request, call(context)),
    getTradeSummary: (request, context) => services.marketData.getTradeSummary(request, call(context)),
    getVolumeByPrice: (request, context) => services.marketData.getVolumeByPrice(request, call(context)),
    async *streamTrades(request, context) {
      yield* services.marketData.streamTrades(request, call(context));
    },
    async *streamAggTrades(request, context) {
      yield* services.marketData.streamAggTrades(request, call(context));
    },
    async *streamDepth(request, context) {
      yield* services.marketData.streamDepth(request, call(context));
    },
  };

  const forwarded = (context: HandlerContext) => ({ ...call(context), ...bearerHeader(context) });
  const userId = (context: HandlerContext, named: string) => userIdOrCaller(callerOf(context), named);
  const authImpl: Partial<ServiceImpl<typeof AuthService>> = {
    signUp: (request, context) => services.auth.signUp(request, call(context)),
    // The client IP and user agent are the edge's to tell (login history, IP lockout), never the caller's.
    signIn: (request, context) => services.auth.signIn({ ...request, clientIp: clientIpOf(context), userAgent: context.requestHeader.get("user-agent") ?? "" }, call(context)),
    refreshSession: (request, context) => services.auth.refreshSession(request, call(context)),
    getJwks: (request, context) => services.auth.getJwks(request, call(context)),
    listSessions: (request, context) => services.auth.listSessions({ ...request, userId: userId(context, request.userId) }, forwarded(context)),
    revokeSession: (request, context) => services.auth.revokeSession({ ...request, userId: userId(context, request.userId) }, forwarded(context)),
    changePassword: (request, context) => services.auth.changePassword({ ...request, userId: userId(context, request.userId) }, forwarded(context)),
    enrollTotp: (request, context) => services.auth.enrollTotp({ ...request, userId: userId(context, request.userId) }, forwarded(context)),
    confirmTotp: (request, context) => services.auth.confirmTotp({ ...request, userId: userId(context, request.userId) }, forwarded(context)),
    createApiKey: (request, context) => services.auth.createApiKey({ ...request, userId: userId(context, request.userId) }, forwarded(context)),
    listApiKeys: (request, context) => services.auth.listApiKeys({ ...request, userId: userId(context, request.userId) }, forwarded(context)),
    revokeApiKey: (request, context) => services.auth.revokeApiKey({ ...request, userId: userId(context, request.userId) }, forwarded(context)),
    listLoginHistory: (request, context) => services.auth.listLoginHistory({ ...request, userId: userId(context, request.userId) }, forwarded(context)),
    setAntiPhishingCode: (request, context) => services.auth.setAntiPhishingCode({ ...request, userId: userId(context, request.userId) }, forwarded(context)),
  };

  const notifierImpl: Partial<ServiceImpl<typeof NotifierService>> = {
    getNotificationPreferences: (request, context) => services.notifier.getNotificationPreferences({ ...request, accountId: account(context, request.accountId) }, call(context)),
    setNotificationPreferences: (request, context) => services.notifier.setNotificationPreferences({ ...request, accountId: account(context, request.accountId) }, call(context)),
  };

  return (router: ConnectRouter) => {
    router.service(NotifierService, notifierImpl);
    router.service(OrderService, orderImpl);
    router.service(WalletService, walletImpl);
    router.service(MarketDataService, marketDataImpl);
    router.service(AuthService, authImpl);
  };
}
