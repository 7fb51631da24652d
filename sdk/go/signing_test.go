package exchange

import (
	"crypto/ed25519"
	"encoding/base64"
	"net/url"
	"testing"
	"time"
)

// Binance's documented HMAC example: the same secret and query must give the same signature.
func TestHMACSignerMatchesBinancesExample(t *testing.T) {
	signer := HMACSigner("vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A", "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")
	got := signer.Sign("symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559")
	if want := "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"; got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
}

func TestEd25519SignerSignsTheQueryItSends(t *testing.T) {
	private, publicPEM, err := GenerateEd25519Key()
	if err != nil || publicPEM == "" {
		t.Fatal(err)
	}
	signed := SignQuery(Ed25519Signer("key", private), url.Values{"symbol": {"BTCUSDT"}}, time.UnixMilli(1700000000000))
	values, err := url.ParseQuery(signed)
	if err != nil {
		t.Fatal(err)
	}
	payload := "recvWindow=5000&symbol=BTCUSDT&timestamp=1700000000000"
	if signed[:len(payload)] != payload {
		t.Fatalf("query %q does not start with %q", signed, payload)
	}
	signature, err := base64.StdEncoding.DecodeString(values.Get("signature"))
	if err != nil {
		t.Fatal(err)
	}
	if !ed25519.Verify(private.Public().(ed25519.PublicKey), []byte(payload), signature) {
		t.Fatal("the signature does not verify")
	}
}
