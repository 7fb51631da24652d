// Package exchange is the Go SDK of the exchange's public Connect API (the edge's /connect): typed clients for
// auth, order, wallet and market data (generated under gen/ by sdk/generate.sh: never edit it), a bearer-token
// client, and Binance-style request signing for the REST API. Money is a decimal string everywhere: keep it one
// (math/big.Rat or a decimal type for arithmetic), never a float64.
package exchange

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"

	"connectrpc.com/connect"

	authv1 "github.com/exchange/exchange/sdk/go/gen/exchange/auth/v1"
	"github.com/exchange/exchange/sdk/go/gen/exchange/auth/v1/authv1connect"
	"github.com/exchange/exchange/sdk/go/gen/exchange/marketdata/v1/marketdatav1connect"
	"github.com/exchange/exchange/sdk/go/gen/exchange/order/v1/orderv1connect"
	"github.com/exchange/exchange/sdk/go/gen/exchange/wallet/v1/walletv1connect"
)

// Client holds the four public services on one base URL, e.g. http://127.0.0.1:8081/connect. The account is always
// the signed-in user's: leave AccountId / UserId empty.
type Client struct {
	Auth       authv1connect.AuthServiceClient
	Order      orderv1connect.OrderServiceClient
	Wallet     walletv1connect.WalletServiceClient
	MarketData marketdatav1connect.MarketDataServiceClient

	mu     sync.RWMutex
	tokens *authv1.Tokens
	access string
}

// Option adds connect-go client options (connect.WithGRPCWeb(), connect.WithProtoJSON(), ...).
type Option = connect.ClientOption

// New makes a client speaking the Connect protocol (binary by default) over httpClient (http.DefaultClient if nil).
// WithAccessToken-style reuse of a token: call SetAccessToken.
func New(baseURL string, httpClient connect.HTTPClient, options ...Option) *Client {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	c := &Client{}
	baseURL = strings.TrimSuffix(baseURL, "/")
	options = append([]Option{connect.WithInterceptors(&bearer{c})}, options...)
	c.Auth = authv1connect.NewAuthServiceClient(httpClient, baseURL, options...)
	c.Order = orderv1connect.NewOrderServiceClient(httpClient, baseURL, options...)
	c.Wallet = walletv1connect.NewWalletServiceClient(httpClient, baseURL, options...)
	c.MarketData = marketdatav1connect.NewMarketDataServiceClient(httpClient, baseURL, options...)
	return c
}

// SignIn signs in (totpCode: a TOTP or recovery code once two-factor is on, else "") and uses the session's access
// token on every later call.
func (c *Client) SignIn(ctx context.Context, email, password, totpCode string) (*authv1.Tokens, error) {
	res, err := c.Auth.SignIn(ctx, connect.NewRequest(&authv1.SignInRequest{Email: email, Password: password, TotpCode: totpCode}))
	if err != nil {
		return nil, err
	}
	return c.use(res.Msg.GetTokens())
}

// Refresh trades the refresh token for new tokens, before the access token's ExpiresIn runs out.
func (c *Client) Refresh(ctx context.Context) (*authv1.Tokens, error) {
	c.mu.RLock()
	tokens := c.tokens
	c.mu.RUnlock()
	if tokens == nil {
		return nil, errors.New("exchange: not signed in")
	}
	res, err := c.Auth.RefreshSession(ctx, connect.NewRequest(&authv1.RefreshSessionRequest{RefreshToken: tokens.GetRefreshToken()}))
	if err != nil {
		return nil, err
	}
	return c.use(res.Msg.GetTokens())
}

// SetAccessToken uses a token obtained elsewhere ("" to stop sending one).
func (c *Client) SetAccessToken(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.access = token
}

func (c *Client) use(tokens *authv1.Tokens) (*authv1.Tokens, error) {
	if tokens == nil {
		return nil, errors.New("exchange: SignIn answered without tokens")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tokens, c.access = tokens, tokens.GetAccessToken()
	return tokens, nil
}

func (c *Client) token() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.access
}

// bearer sets Authorization: Bearer <token> on unary calls and streams while a token is known.
type bearer struct{ c *Client }

func (b *bearer) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if token := b.c.token(); token != "" {
			req.Header().Set("Authorization", "Bearer "+token)
		}
		return next(ctx, req)
	}
}

func (b *bearer) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		if token := b.c.token(); token != "" {
			conn.RequestHeader().Set("Authorization", "Bearer "+token)
		}
		return conn
	}
}

func (b *bearer) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}
