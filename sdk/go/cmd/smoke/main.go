// The SDK smoke test's client side in Go (run by tests/sdk/smoke.ts against a running exchange; the TypeScript and
// Python SDKs run the same steps): sign in, read the book, place an order, see it among the open orders, stream
// the trade it makes, cancel it, read balances over Connect and over signed REST (HMAC and Ed25519 keys). Prints
// one JSON transcript of what the exchange answered, ids left out, for the harness to compare across languages.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"connectrpc.com/connect"

	exchange "github.com/exchange/exchange/sdk/go"
	authv1 "github.com/exchange/exchange/sdk/go/gen/exchange/auth/v1"
	commonv1 "github.com/exchange/exchange/sdk/go/gen/exchange/common/v1"
	marketdatav1 "github.com/exchange/exchange/sdk/go/gen/exchange/marketdata/v1"
	orderv1 "github.com/exchange/exchange/sdk/go/gen/exchange/order/v1"
	walletv1 "github.com/exchange/exchange/sdk/go/gen/exchange/wallet/v1"
)

const (
	probePrice = "29000"
	price      = "30000"
)

func env(name string) string {
	v := os.Getenv(name)
	if v == "" {
		fail(fmt.Errorf("%s is not set", name))
	}
	return v
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "smoke:", err)
	os.Exit(1)
}

func must[T any](v T, err error) T {
	if err != nil {
		fail(err)
	}
	return v
}

type summary struct {
	Symbol              string `json:"symbol"`
	Side                string `json:"side"`
	Type                string `json:"type"`
	TimeInForce         string `json:"timeInForce"`
	Status              string `json:"status"`
	Price               string `json:"price"`
	OrigQty             string `json:"origQty"`
	ExecutedQty         string `json:"executedQty"`
	CummulativeQuoteQty string `json:"cummulativeQuoteQty"`
}

func summarize(o *orderv1.Order) summary {
	if o == nil {
		fail(fmt.Errorf("no order in the answer"))
	}
	return summary{o.GetSymbol(), o.GetSide().String(), o.GetType().String(), o.GetTimeInForce().String(), o.GetStatus().String(), o.GetPrice(), o.GetOrigQty(), o.GetExecutedQty(), o.GetCummulativeQuoteQty()}
}

func summaries(orders []*orderv1.Order) []summary {
	out := []summary{}
	for _, o := range orders {
		out = append(out, summarize(o))
	}
	return out
}

type balance struct {
	Asset  string `json:"asset"`
	Free   string `json:"free"`
	Locked string `json:"locked"`
}

func book(res *marketdatav1.GetDepthResponse) map[string][][2]string {
	levels := func(ls []*marketdatav1.PriceLevel) [][2]string {
		out := [][2]string{}
		for _, l := range ls {
			out = append(out, [2]string{l.GetPrice(), l.GetQuantity()})
		}
		return out
	}
	return map[string][][2]string{"bids": levels(res.GetBids()), "asks": levels(res.GetAsks())}
}

func main() {
	ctx := context.Background()
	connectURL, restURL, password, symbol := env("EXCHANGE_CONNECT_URL"), env("EXCHANGE_REST_URL"), env("SMOKE_PASSWORD"), env("SMOKE_SYMBOL")
	signedIn := func(email string) *exchange.Client {
		client := exchange.New(connectURL, nil)
		must(client.SignIn(ctx, email, password, ""))
		return client
	}
	maker, taker, probeMaker, probeTaker := signedIn(env("SMOKE_MAKER")), signedIn(env("SMOKE_TAKER")), signedIn(env("SMOKE_PROBE_MAKER")), signedIn(env("SMOKE_PROBE_TAKER"))
	transcript := map[string]any{}
	place := func(c *exchange.Client, side commonv1.Side, tif commonv1.TimeInForce, price, quantity string) *orderv1.Order {
		res := must(c.Order.PlaceOrder(ctx, connect.NewRequest(&orderv1.PlaceOrderRequest{Symbol: symbol, Side: side, Type: commonv1.OrderType_ORDER_TYPE_LIMIT, TimeInForce: tif, Price: price, Quantity: quantity})))
		return res.Msg.GetOrder()
	}
	openOrders := func() []*orderv1.Order {
		return must(maker.Order.ListOpenOrders(ctx, connect.NewRequest(&orderv1.ListOpenOrdersRequest{Symbol: symbol}))).Msg.GetOrders()
	}
	depth := func() map[string][][2]string {
		return book(must(maker.MarketData.GetDepth(ctx, connect.NewRequest(&marketdatav1.GetDepthRequest{Symbol: symbol, Limit: 5}))).Msg)
	}

	transcript["bookBefore"] = depth()

	// Trades stream live only: trade between the two probe accounts until the stream has heard one, so it is open
	// before the trade under test.
	// The call returns once the server sends its headers, which the edge does with the first trade: open it in
	// its own goroutine.
	streamCtx, stop := context.WithCancel(ctx)
	trades := make(chan *marketdatav1.PublicTrade, 64)
	var streamErr error
	go func() {
		defer close(trades)
		stream, err := maker.MarketData.StreamTrades(streamCtx, connect.NewRequest(&marketdatav1.StreamTradesRequest{Symbol: symbol}))
		if err != nil {
			streamErr = err
			return
		}
		for stream.Receive() {
			trades <- stream.Msg().GetTrade()
		}
		streamErr = stream.Err()
	}()
	live := false
	for attempt := 0; attempt < 50 && !live; attempt++ {
		place(probeMaker, commonv1.Side_SIDE_SELL, commonv1.TimeInForce_TIME_IN_FORCE_GTC, probePrice, "0.001")
		place(probeTaker, commonv1.Side_SIDE_BUY, commonv1.TimeInForce_TIME_IN_FORCE_IOC, probePrice, "0.001")
		select {
		case <-trades:
			live = true
		case <-time.After(200 * time.Millisecond):
		}
	}
	if !live {
		fail(fmt.Errorf("the trade stream heard no probe trade"))
	}

	placed := place(maker, commonv1.Side_SIDE_SELL, commonv1.TimeInForce_TIME_IN_FORCE_GTC, price, "0.5")
	transcript["placed"] = summarize(placed)
	open := openOrders()
	transcript["openOrders"] = summaries(open)
	has := false
	for _, o := range open {
		has = has || o.GetOrderId() == placed.GetOrderId()
	}
	transcript["openOrdersHavePlaced"] = has

	transcript["takerOrder"] = summarize(place(taker, commonv1.Side_SIDE_BUY, commonv1.TimeInForce_TIME_IN_FORCE_IOC, price, "0.2"))
	for streamed := false; !streamed; {
		select {
		case trade, ok := <-trades:
			if !ok {
				fail(fmt.Errorf("the trade stream ended before the trade under test: %v", streamErr))
			}
			if strings.HasPrefix(trade.GetPrice(), probePrice) {
				continue // a probe heard late
			}
			transcript["streamedTrade"] = map[string]any{"symbol": trade.GetSymbol(), "price": trade.GetPrice(), "qty": trade.GetQty(), "quoteQty": trade.GetQuoteQty(), "isBuyerMaker": trade.GetIsBuyerMaker()}
			streamed = true
		case <-time.After(10 * time.Second):
			fail(fmt.Errorf("the trade stream went quiet before the trade under test"))
		}
	}
	stop()

	transcript["openOrdersAfterFill"] = summaries(openOrders())
	canceled := must(maker.Order.CancelOrder(ctx, connect.NewRequest(&orderv1.CancelOrderRequest{Symbol: symbol, OrderId: placed.GetOrderId()})))
	transcript["canceled"] = summarize(canceled.Msg.GetOrder())
	transcript["openOrdersAfterCancel"] = summaries(openOrders())

	balances := func(c *exchange.Client) []balance {
		res := must(c.Wallet.GetBalances(ctx, connect.NewRequest(&walletv1.GetBalancesRequest{Assets: []string{"BTC", "USDT"}})))
		out := []balance{}
		for _, b := range res.Msg.GetBalances() {
			out = append(out, balance{b.GetAsset(), b.GetFree(), b.GetLocked()})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Asset < out[j].Asset })
		return out
	}
	transcript["balances"] = map[string]any{"maker": balances(maker), "taker": balances(taker)}

	restBalances := func(signer exchange.Signer) []balance {
		var account struct {
			Balances []balance `json:"balances"`
		}
		if err := exchange.SignedRequest(ctx, nil, restURL, "GET", "/api/v3/account", signer, nil, &account); err != nil {
			fail(err)
		}
		out := []balance{}
		for _, b := range account.Balances {
			if b.Asset == "BTC" || b.Asset == "USDT" {
				out = append(out, b)
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Asset < out[j].Asset })
		return out
	}
	hmacKey := must(maker.Auth.CreateApiKey(ctx, connect.NewRequest(&authv1.CreateApiKeyRequest{Type: authv1.ApiKeyType_API_KEY_TYPE_HMAC_SHA256, Permissions: []authv1.Permission{authv1.Permission_PERMISSION_READ}, Label: "smoke-hmac"})))
	private, publicPEM := func() ([]byte, string) { p, pub, err := exchange.GenerateEd25519Key(); must(0, err); return p, pub }()
	edKey := must(maker.Auth.CreateApiKey(ctx, connect.NewRequest(&authv1.CreateApiKeyRequest{Type: authv1.ApiKeyType_API_KEY_TYPE_ED25519, Permissions: []authv1.Permission{authv1.Permission_PERMISSION_READ}, Label: "smoke-ed25519", PublicKey: publicPEM})))
	transcript["restBalances"] = map[string]any{
		"hmac":    restBalances(exchange.HMACSigner(hmacKey.Msg.GetKey().GetApiKey(), hmacKey.Msg.GetSecret())),
		"ed25519": restBalances(exchange.Ed25519Signer(edKey.Msg.GetKey().GetApiKey(), private)),
	}

	transcript["bookAfter"] = depth()
	fail2(json.NewEncoder(os.Stdout).Encode(transcript))
}

func fail2(err error) {
	if err != nil {
		fail(err)
	}
}
