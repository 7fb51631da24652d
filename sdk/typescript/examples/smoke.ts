// The SDK smoke test's client side (run by tests/sdk/smoke.ts against a running exchange; the Go and Python SDKs
// run the same steps): sign in, read the book, place an order, see it among the open orders, stream the trade it
// makes, cancel it, read balances over Connect and over signed REST (HMAC and Ed25519 keys). Prints one JSON
// transcript of what the exchange answered, ids left out, for the harness to compare across languages.
import { ApiKeyType, ExchangeClient, OrderType, Permission, Side, TimeInForce, ed25519Signer, generateEd25519Key, hmacSha256Signer, order, signedRequest, type RequestSigner } from "@exchange/sdk";
import { OrderStatusSchema, OrderTypeSchema, SideSchema, TimeInForceSchema } from "../src/gen/exchange/common/v1/common_pb.js";
import type { GenEnum } from "@bufbuild/protobuf/codegenv2";

const env = (name: string) => process.env[name] ?? (() => { throw new Error(`${name} is not set`); })();
const connectUrl = env("EXCHANGE_CONNECT_URL");
const restUrl = env("EXCHANGE_REST_URL");
const password = env("SMOKE_PASSWORD");
const symbol = env("SMOKE_SYMBOL");
const PROBE_PRICE = "29000";
const PRICE = "30000";

async function signedIn(email: string): Promise<ExchangeClient> {
  const client = new ExchangeClient({ baseUrl: connectUrl });
  await client.signIn(email, password);
  return client;
}

const name = <T extends number>(schema: GenEnum<T>, value: T) => schema.value[value]!.name;
const summary = (o: order.Order | undefined) => {
  if (!o) throw new Error("no order in the answer");
  return { symbol: o.symbol, side: name(SideSchema, o.side), type: name(OrderTypeSchema, o.type), timeInForce: name(TimeInForceSchema, o.timeInForce), status: name(OrderStatusSchema, o.status), price: o.price, origQty: o.origQty, executedQty: o.executedQty, cummulativeQuoteQty: o.cummulativeQuoteQty };
};
const balances = async (client: ExchangeClient) => (await client.wallet.getBalances({ assets: ["BTC", "USDT"] })).balances.map((b) => ({ asset: b.asset, free: b.free, locked: b.locked })).sort((a, b) => a.asset.localeCompare(b.asset));
const restBalances = async (signer: RequestSigner) => {
  const account = await signedRequest<{ balances: { asset: string; free: string; locked: string }[] }>(restUrl, "GET", "/api/v3/account", signer);
  return account.balances.filter((b) => b.asset === "BTC" || b.asset === "USDT").map(({ asset, free, locked }) => ({ asset, free, locked })).sort((a, b) => a.asset.localeCompare(b.asset));
};
const within = <T>(promise: Promise<T>, ms: number) => Promise.race([promise, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms).unref())]);

const [maker, taker, probeMaker, probeTaker] = await Promise.all(["SMOKE_MAKER", "SMOKE_TAKER", "SMOKE_PROBE_MAKER", "SMOKE_PROBE_TAKER"].map((v) => signedIn(env(v))));
const transcript: Record<string, unknown> = {};

const depth = await maker.marketData.getDepth({ symbol, limit: 5 });
transcript.bookBefore = { bids: depth.bids.map((l) => [l.price, l.quantity]), asks: depth.asks.map((l) => [l.price, l.quantity]) };

// Trades stream live only: trade between the two probe accounts until the stream has heard one, so it is open
// before the trade under test.
const controller = new AbortController();
const trades = maker.marketData.streamTrades({ symbol }, { signal: controller.signal })[Symbol.asyncIterator]();
let pending = trades.next();
let live = false;
for (let attempt = 0; attempt < 50 && !live; attempt++) {
  await probeMaker.order.placeOrder({ symbol, side: Side.SELL, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, price: PROBE_PRICE, quantity: "0.001" });
  await probeTaker.order.placeOrder({ symbol, side: Side.BUY, type: OrderType.LIMIT, timeInForce: TimeInForce.IOC, price: PROBE_PRICE, quantity: "0.001" });
  if (await within(pending, 200)) live = true;
}
if (!live) throw new Error("the trade stream heard no probe trade");

const placed = (await maker.order.placeOrder({ symbol, side: Side.SELL, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, price: PRICE, quantity: "0.5" })).order!;
transcript.placed = summary(placed);
const open = (await maker.order.listOpenOrders({ symbol })).orders;
transcript.openOrders = open.map(summary);
transcript.openOrdersHavePlaced = open.some((o) => o.orderId === placed.orderId);

transcript.takerOrder = summary((await taker.order.placeOrder({ symbol, side: Side.BUY, type: OrderType.LIMIT, timeInForce: TimeInForce.IOC, price: PRICE, quantity: "0.2" })).order);
for (;;) {
  pending = trades.next();
  const next = await within(pending, 10_000);
  if (!next || next.done) throw new Error("the trade stream ended or went quiet before the trade under test");
  const trade = next.value.trade!;
  if (trade.price.startsWith(PROBE_PRICE)) continue; // a probe heard late
  transcript.streamedTrade = { symbol: trade.symbol, price: trade.price, qty: trade.qty, quoteQty: trade.quoteQty, isBuyerMaker: trade.isBuyerMaker };
  break;
}
controller.abort();

transcript.openOrdersAfterFill = (await maker.order.listOpenOrders({ symbol })).orders.map(summary);
transcript.canceled = summary((await maker.order.cancelOrder({ symbol, orderId: placed.orderId })).order);
transcript.openOrdersAfterCancel = (await maker.order.listOpenOrders({ symbol })).orders.map(summary);
transcript.balances = { maker: await balances(maker), taker: await balances(taker) };

const hmac = await maker.auth.createApiKey({ type: ApiKeyType.HMAC_SHA256, permissions: [Permission.READ], label: "smoke-hmac" });
const ed = await generateEd25519Key();
const edKey = await maker.auth.createApiKey({ type: ApiKeyType.ED25519, permissions: [Permission.READ], label: "smoke-ed25519", publicKey: ed.publicKeyPem });
transcript.restBalances = { hmac: await restBalances(hmacSha256Signer(hmac.key!.apiKey, hmac.secret)), ed25519: await restBalances(ed25519Signer(edKey.key!.apiKey, ed.privateKey)) };

const after = await maker.marketData.getDepth({ symbol, limit: 5 });
transcript.bookAfter = { bids: after.bids.map((l) => [l.price, l.quantity]), asks: after.asks.map((l) => [l.price, l.quantity]) };
console.log(JSON.stringify(transcript));
