"""A bearer-token client over the four public services (connect-python, synchronous)."""

from __future__ import annotations

from typing import Callable

from connectrpc.interceptor import MetadataInterceptorSync
from connectrpc.request import RequestContext

from exchange.auth.v1 import auth_pb2
from exchange.auth.v1.auth_connect import AuthServiceClientSync
from exchange.marketdata.v1.marketdata_connect import MarketDataServiceClientSync
from exchange.order.v1.order_connect import OrderServiceClientSync
from exchange.wallet.v1.wallet_connect import WalletServiceClientSync


class bearer_token(MetadataInterceptorSync[None]):
    """Sets ``Authorization: Bearer <token>`` on every call while ``token()`` returns one."""

    def __init__(self, token: Callable[[], str | None]) -> None:
        self._token = token

    def on_start_sync(self, ctx: RequestContext) -> None:
        token = self._token()
        if token:
            ctx.request_headers()["authorization"] = f"Bearer {token}"

    def on_end_sync(self, token: None, ctx: RequestContext, error: Exception | None) -> None:
        return None


class ExchangeClient:
    """The public API on one base URL, e.g. ``http://127.0.0.1:8081/connect``. The account is always the signed-in
    user's: leave ``account_id`` / ``user_id`` empty."""

    def __init__(self, base_url: str, access_token: str | None = None, proto_json: bool = False) -> None:
        self._tokens: auth_pb2.Tokens | None = None
        self._access_token = access_token
        options = {"interceptors": [bearer_token(lambda: self._access_token)], "proto_json": proto_json}
        base_url = base_url.rstrip("/")
        self.auth = AuthServiceClientSync(base_url, **options)
        self.order = OrderServiceClientSync(base_url, **options)
        self.wallet = WalletServiceClientSync(base_url, **options)
        self.market_data = MarketDataServiceClientSync(base_url, **options)

    @property
    def access_token(self) -> str | None:
        return self._access_token

    def sign_in(self, email: str, password: str, totp_code: str = "") -> auth_pb2.Tokens:
        """Signs in (with a TOTP or recovery code once two-factor is on) and uses the session's token from then on."""
        response = self.auth.sign_in(auth_pb2.SignInRequest(email=email, password=password, totp_code=totp_code))
        return self._use(response.tokens)

    def refresh(self) -> auth_pb2.Tokens:
        """Trades the refresh token for new tokens, before the access token's ``expires_in`` runs out."""
        if self._tokens is None:
            raise RuntimeError("not signed in")
        response = self.auth.refresh_session(auth_pb2.RefreshSessionRequest(refresh_token=self._tokens.refresh_token))
        return self._use(response.tokens)

    def sign_out(self) -> None:
        self._tokens = None
        self._access_token = None

    def _use(self, tokens: auth_pb2.Tokens) -> auth_pb2.Tokens:
        if not tokens.access_token:
            raise RuntimeError("SignIn answered without tokens")
        self._tokens = tokens
        self._access_token = tokens.access_token
        return tokens
