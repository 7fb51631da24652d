"""Binance-style request signing for the REST API (/api/v3): the query string (parameters, then ``recvWindow`` and
``timestamp``) signed with an API key's HMAC-SHA256 secret (hex) or Ed25519 private key (base64), sent as
``signature`` with the key in ``X-MBX-APIKEY``."""

from __future__ import annotations

import base64
import decimal
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Mapping, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


class Signer(Protocol):
    api_key: str

    def sign(self, payload: str) -> str:
        """The ``signature`` parameter's value for ``payload``, ready for a query string."""
        ...


class HmacSigner:
    def __init__(self, api_key: str, secret: str) -> None:
        self.api_key = api_key
        self._secret = secret.encode()

    def sign(self, payload: str) -> str:
        return hmac.new(self._secret, payload.encode(), hashlib.sha256).hexdigest()


class Ed25519Signer:
    def __init__(self, api_key: str, private_key: Ed25519PrivateKey) -> None:
        self.api_key = api_key
        self._private_key = private_key

    def sign(self, payload: str) -> str:
        return urllib.parse.quote(base64.b64encode(self._private_key.sign(payload.encode())).decode(), safe="")


def generate_ed25519_key() -> tuple[Ed25519PrivateKey, str]:
    """A new key pair: the private key and the public key's PEM, for CreateApiKey (API_KEY_TYPE_ED25519)."""
    private_key = Ed25519PrivateKey.generate()
    pem = private_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private_key, pem.decode()


def sign_query(signer: Signer, params: Mapping[str, str] | None = None, timestamp_ms: int | None = None, recv_window: int = 5000) -> str:
    """``params&recvWindow=…&timestamp=…&signature=…``."""
    query = urllib.parse.urlencode({**(params or {}), "recvWindow": str(recv_window), "timestamp": str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))})
    return f"{query}&signature={signer.sign(query)}"


def signed_request(rest_url: str, method: str, path: str, signer: Signer, params: Mapping[str, str] | None = None, timeout: float = 10.0) -> Any:
    """A signed REST call: ``rest_url`` is the edge's HTTP/1.1 address (e.g. ``http://127.0.0.1:8081``). Returns
    Binance's JSON answer, decoded with decimal strings left as strings; raises ``RuntimeError`` on an HTTP error."""
    request = urllib.request.Request(f"{rest_url.rstrip('/')}{path}?{sign_query(signer, params)}", method=method, headers={"X-MBX-APIKEY": signer.api_key})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read(), parse_float=decimal.Decimal)
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"{method} {path}: HTTP {error.code} {error.read().decode()}") from error
