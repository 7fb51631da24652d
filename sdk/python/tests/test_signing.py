import base64
import unittest
import urllib.parse

from exchange_sdk import Ed25519Signer, HmacSigner, generate_ed25519_key, sign_query


class SigningTest(unittest.TestCase):
    def test_hmac_matches_binances_documented_example(self) -> None:
        signer = HmacSigner("vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A", "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")
        payload = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
        self.assertEqual(signer.sign(payload), "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71")

    def test_ed25519_signs_the_query_it_sends(self) -> None:
        private_key, pem = generate_ed25519_key()
        self.assertTrue(pem.startswith("-----BEGIN PUBLIC KEY-----"))
        signed = sign_query(Ed25519Signer("key", private_key), {"symbol": "BTCUSDT"}, timestamp_ms=1700000000000)
        payload, _, signature = signed.partition("&signature=")
        self.assertEqual(payload, "symbol=BTCUSDT&recvWindow=5000&timestamp=1700000000000")
        private_key.public_key().verify(base64.b64decode(urllib.parse.unquote(signature)), payload.encode())  # raises if wrong


if __name__ == "__main__":
    unittest.main()
