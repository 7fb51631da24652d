"""The exchange's Python SDK: typed clients for the public Connect API (the edge's /connect) and Binance-style
request signing for the REST API. Money is a decimal string everywhere: use decimal.Decimal, never float."""

from exchange_sdk.client import ExchangeClient, bearer_token
from exchange_sdk.signing import (
    Ed25519Signer,
    HmacSigner,
    Signer,
    generate_ed25519_key,
    sign_query,
    signed_request,
)

__all__ = [
    "Ed25519Signer",
    "ExchangeClient",
    "HmacSigner",
    "Signer",
    "bearer_token",
    "generate_ed25519_key",
    "sign_query",
    "signed_request",
]
