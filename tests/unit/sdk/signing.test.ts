import { describe, expect, it } from "vitest";
import { createPublicKey, verify } from "node:crypto";
import { ed25519Signer, generateEd25519Key, hmacSha256Signer, signQuery } from "../../../sdk/typescript/src/signing.js";

// @exchange/sdk's request signers (WebCrypto), checked without a server; the SDK smoke test checks them against the edge.
describe("hmacSha256Signer", () => {
  it("gives Binance's documented signature for its example", async () => {
    const signer = hmacSha256Signer("vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A", "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j");
    const payload = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
    expect(await signer.sign(payload)).toBe("c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
  });
});

describe("ed25519Signer", () => {
  it("signs the exact query it sends, verifiable with the PEM it registers", async () => {
    const { privateKey, publicKeyPem } = await generateEd25519Key();
    const signed = await signQuery(ed25519Signer("key", privateKey), { symbol: "BTCUSDT" }, { timestamp: 1_700_000_000_000 });
    const [payload, signature] = signed.split("&signature=");
    expect(payload).toBe("symbol=BTCUSDT&recvWindow=5000&timestamp=1700000000000");
    const ok = verify(null, Buffer.from(payload!), createPublicKey(publicKeyPem), Buffer.from(decodeURIComponent(signature!), "base64"));
    expect(ok).toBe(true);
  });
});
