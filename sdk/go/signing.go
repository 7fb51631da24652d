package exchange

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Signer signs Binance-style REST requests (/api/v3) with an API key made by AuthService.CreateApiKey.
type Signer interface {
	APIKey() string
	// Sign returns the `signature` parameter's value for payload, ready for a query string.
	Sign(payload string) string
}

type hmacSigner struct{ key, secret string }

// HMACSigner signs with an HMAC-SHA256 key's secret (hex signature).
func HMACSigner(apiKey, secret string) Signer { return hmacSigner{apiKey, secret} }

func (s hmacSigner) APIKey() string { return s.key }
func (s hmacSigner) Sign(payload string) string {
	mac := hmac.New(sha256.New, []byte(s.secret))
	mac.Write([]byte(payload))
	return hex.EncodeToString(mac.Sum(nil))
}

type ed25519Signer struct {
	key     string
	private ed25519.PrivateKey
}

// Ed25519Signer signs with the private half of an Ed25519 key (base64 signature, percent-encoded).
func Ed25519Signer(apiKey string, private ed25519.PrivateKey) Signer {
	return ed25519Signer{apiKey, private}
}

func (s ed25519Signer) APIKey() string { return s.key }
func (s ed25519Signer) Sign(payload string) string {
	return url.QueryEscape(base64.StdEncoding.EncodeToString(ed25519.Sign(s.private, []byte(payload))))
}

// GenerateEd25519Key makes a key pair; register publicKeyPEM with CreateApiKey (API_KEY_TYPE_ED25519).
func GenerateEd25519Key() (private ed25519.PrivateKey, publicKeyPEM string, err error) {
	public, private, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, "", err
	}
	der, err := x509.MarshalPKIXPublicKey(public)
	if err != nil {
		return nil, "", err
	}
	return private, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// SignQuery returns params plus recvWindow (5000 ms) and timestamp (now), then `signature`.
func SignQuery(signer Signer, params url.Values, now time.Time) string {
	values := url.Values{}
	for k, v := range params {
		values[k] = v
	}
	values.Set("recvWindow", "5000")
	values.Set("timestamp", strconv.FormatInt(now.UnixMilli(), 10))
	query := values.Encode()
	return query + "&signature=" + signer.Sign(query)
}

// SignedRequest calls the REST API at restURL (the edge's HTTP/1.1 address, e.g. http://127.0.0.1:8081) with a
// signed query string and decodes Binance's JSON answer into out (nil: discard it).
func SignedRequest(ctx context.Context, httpClient *http.Client, restURL, method, path string, signer Signer, params url.Values, out any) error {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	target := strings.TrimSuffix(restURL, "/") + path + "?" + SignQuery(signer, params, time.Now())
	req, err := http.NewRequestWithContext(ctx, method, target, nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-MBX-APIKEY", signer.APIKey())
	res, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: HTTP %d %s", method, path, res.StatusCode, body)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(body, out)
}
