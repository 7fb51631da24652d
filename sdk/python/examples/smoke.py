"""The SDK smoke test's client side in Python (run by tests/sdk/smoke.ts against a running exchange; the TypeScript
and Go SDKs run the same steps): sign in, read the book, place an order, see it among the open orders, stream the
trade it makes, cancel it, read balances over Connect and over signed REST (HMAC and Ed25519 keys). Prints one JSON
transcript of what the exchange answered, ids left out, for the harness to compare across languages."""

import json
import os
import queue
import sys
import threading

from exchange.auth.v1 import auth_pb2
from exchange.common.v1 import common_pb2
from exchange.marketdata.v1 import marketdata_pb2
from exchange.order.v1 import order_pb2
from exchange.wallet.v1 import wallet_pb2
from exchange_sdk import Ed25519Signer, ExchangeClient, HmacSigner, generate_ed25519_key, signed_request

PROBE_PRICE = "29000"
PRICE = "30000"
connect_url, rest_url = os.environ["EXCHANGE_CONNECT_URL"], os.environ["EXCHANGE_REST_URL"]
password, symbol = os.environ["SMOKE_PASSWORD"], os.environ["SMOKE_SYMBOL"]


def signed_in(email: str) -> ExchangeClient:
    client = ExchangeClient(connect_url)
    client.sign_in(email, password)
    return client


def summary(o: order_pb2.Order) -> dict:
    return {
        "symbol": o.symbol,
        "side": common_pb2.Side.Name(o.side),
        "type": common_pb2.OrderType.Name(o.type),
        "timeInForce": common_pb2.TimeInForce.Name(o.time_in_force),
        "status": common_pb2.OrderStatus.Name(o.status),
        "price": o.price,
        "origQty": o.orig_qty,
        "executedQty": o.executed_qty,
        "cummulativeQuoteQty": o.cummulative_quote_qty,
    }


def place(client: ExchangeClient, side: int, tif: int, price: str, quantity: str) -> order_pb2.Order:
    request = order_pb2.PlaceOrderRequest(symbol=symbol, side=side, type=common_pb2.ORDER_TYPE_LIMIT, time_in_force=tif, price=price, quantity=quantity)
    return client.order.place_order(request).order


maker, taker, probe_maker, probe_taker = (signed_in(os.environ[v]) for v in ("SMOKE_MAKER", "SMOKE_TAKER", "SMOKE_PROBE_MAKER", "SMOKE_PROBE_TAKER"))
open_orders = lambda: list(maker.order.list_open_orders(order_pb2.ListOpenOrdersRequest(symbol=symbol)).orders)  # noqa: E731


def depth() -> dict:
    book = maker.market_data.get_depth(marketdata_pb2.GetDepthRequest(symbol=symbol, limit=5))
    return {"bids": [[l.price, l.quantity] for l in book.bids], "asks": [[l.price, l.quantity] for l in book.asks]}


transcript: dict = {"bookBefore": depth()}

# Trades stream live only: trade between the two probe accounts until the stream has heard one, so it is open before
# the trade under test. The call returns with the first message (the edge's headers come with it): read it in a thread.
trades: "queue.Queue[marketdata_pb2.PublicTrade | Exception]" = queue.Queue()


def read_trades() -> None:
    try:
        for response in maker.market_data.stream_trades(marketdata_pb2.StreamTradesRequest(symbol=symbol)):
            trades.put(response.trade)
    except Exception as error:  # noqa: BLE001 - handed to the main thread
        trades.put(error)


threading.Thread(target=read_trades, daemon=True).start()
live = False
for _ in range(50):
    place(probe_maker, common_pb2.SIDE_SELL, common_pb2.TIME_IN_FORCE_GTC, PROBE_PRICE, "0.001")
    place(probe_taker, common_pb2.SIDE_BUY, common_pb2.TIME_IN_FORCE_IOC, PROBE_PRICE, "0.001")
    try:
        heard = trades.get(timeout=0.2)
    except queue.Empty:
        continue
    if isinstance(heard, Exception):
        raise heard
    live = True
    break
if not live:
    sys.exit("the trade stream heard no probe trade")

placed = place(maker, common_pb2.SIDE_SELL, common_pb2.TIME_IN_FORCE_GTC, PRICE, "0.5")
transcript["placed"] = summary(placed)
listed = open_orders()
transcript["openOrders"] = [summary(o) for o in listed]
transcript["openOrdersHavePlaced"] = any(o.order_id == placed.order_id for o in listed)

transcript["takerOrder"] = summary(place(taker, common_pb2.SIDE_BUY, common_pb2.TIME_IN_FORCE_IOC, PRICE, "0.2"))
while True:
    trade = trades.get(timeout=10)
    if isinstance(trade, Exception):
        raise trade
    if trade.price.startswith(PROBE_PRICE):
        continue  # a probe heard late
    transcript["streamedTrade"] = {"symbol": trade.symbol, "price": trade.price, "qty": trade.qty, "quoteQty": trade.quote_qty, "isBuyerMaker": trade.is_buyer_maker}
    break

transcript["openOrdersAfterFill"] = [summary(o) for o in open_orders()]
transcript["canceled"] = summary(maker.order.cancel_order(order_pb2.CancelOrderRequest(symbol=symbol, order_id=placed.order_id)).order)
transcript["openOrdersAfterCancel"] = [summary(o) for o in open_orders()]


def balances(client: ExchangeClient) -> list:
    response = client.wallet.get_balances(wallet_pb2.GetBalancesRequest(assets=["BTC", "USDT"]))
    return sorted(({"asset": b.asset, "free": b.free, "locked": b.locked} for b in response.balances), key=lambda b: b["asset"])


def rest_balances(signer) -> list:
    account = signed_request(rest_url, "GET", "/api/v3/account", signer)
    return sorted(({"asset": b["asset"], "free": b["free"], "locked": b["locked"]} for b in account["balances"] if b["asset"] in ("BTC", "USDT")), key=lambda b: b["asset"])


transcript["balances"] = {"maker": balances(maker), "taker": balances(taker)}
READ = [auth_pb2.PERMISSION_READ]
hmac_key = maker.auth.create_api_key(auth_pb2.CreateApiKeyRequest(type=auth_pb2.API_KEY_TYPE_HMAC_SHA256, permissions=READ, label="smoke-hmac"))
private_key, public_pem = generate_ed25519_key()
ed_key = maker.auth.create_api_key(auth_pb2.CreateApiKeyRequest(type=auth_pb2.API_KEY_TYPE_ED25519, permissions=READ, label="smoke-ed25519", public_key=public_pem))
transcript["restBalances"] = {
    "hmac": rest_balances(HmacSigner(hmac_key.key.api_key, hmac_key.secret)),
    "ed25519": rest_balances(Ed25519Signer(ed_key.key.api_key, private_key)),
}
transcript["bookAfter"] = depth()
print(json.dumps(transcript))
