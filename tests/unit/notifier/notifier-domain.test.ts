import { describe, expect, it } from "vitest";
import { retryDelayMs } from "../../../services/notifier/src/domain/backoff.js";
import { notificationOf } from "../../../services/notifier/src/domain/notification.js";
import { channelsFor, type Preferences } from "../../../services/notifier/src/domain/preferences.js";
import { signWebhook } from "../../../services/notifier/src/adapters/webhook-sender.http.js";
import { walletNotices } from "../../../services/wallet/src/domain/wallet-notices.js";
import { AssetRegistry } from "../../../services/wallet/src/domain/assets.js";
import type { LedgerEntry } from "../../../services/wallet/src/domain/ledger.js";

describe("retry back-off", () => {
  it("doubles from the base per attempt and stops at the cap", () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, 1_000, 10_000))).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
    expect(retryDelayMs(0, 1_000, 10_000)).toBe(0);
    expect(retryDelayMs(1_000, 1_000, 60_000)).toBe(60_000);
  });
});

describe("channels", () => {
  const prefs: Preferences = { accountId: "a", webhook: { url: "https://h.example/x", kinds: ["TRADE_FILL", "SECURITY"] }, email: { address: "a@example.com", kinds: ["SECURITY"] } };
  it("go where the account asked for the kind, and nowhere without an address", () => {
    expect(channelsFor(prefs, "SECURITY")).toEqual(["webhook", "email"]);
    expect(channelsFor(prefs, "TRADE_FILL")).toEqual(["webhook"]);
    expect(channelsFor(prefs, "DEPOSIT")).toEqual([]);
    expect(channelsFor({ ...prefs, webhook: { url: "", kinds: ["SECURITY"] } }, "SECURITY")).toEqual(["email"]);
  });
  it("are chosen by type; an unknown type or a payload that is no notice is dropped", () => {
    const payload = { accountId: "a", time: 1, data: {} };
    expect(notificationOf({ id: "x", type: "exchange.auth.signed-in.v1", payload })?.kind).toBe("SECURITY");
    expect(notificationOf({ id: "x", type: "exchange.future.thing.v9", payload })).toBeUndefined();
    expect(notificationOf({ id: "x", type: "exchange.order.filled.v1", payload: { accountId: 3 } })).toBeUndefined();
  });
});

describe("webhook signature", () => {
  it("is HMAC-SHA256 over '<t>.<body>' (a known vector)", () => {
    // printf '1700000000000.{"a":1}' | openssl dgst -sha256 -hmac secret
    expect(signWebhook("secret", 1_700_000_000_000, '{"a":1}')).toBe("t=1700000000000,v1=4ef2732b0d632a6897af3a6d02a6de287f60d6c5f15dabdb0ceb045a34e3c5a7");
  });
});

describe("wallet notices", () => {
  const entry = (e: Partial<LedgerEntry>): LedgerEntry => ({ transferId: "t1", kind: "deposit", account: "u1", asset: "BTC", available: 0n, locked: 0n, pending: 0n, time: 5, ...e });
  const assets = new AssetRegistry();
  it("tell the account of deposits and withdrawals in decimal strings, with ids from the transfer", () => {
    const events = walletNotices(
      [
        entry({ available: 150_000_000n }),
        entry({ account: "@external", available: -150_000_000n }),
        entry({ transferId: "w1", kind: "withdraw_request", asset: "ETH", available: -(10n ** 18n) - 5n, pending: 10n ** 18n + 5n }),
        entry({ transferId: "w1c", kind: "withdraw_complete", asset: "ETH", pending: -(10n ** 18n) }),
        entry({ transferId: "w2", kind: "withdraw_reject", available: 7n, pending: -7n }),
        entry({ transferId: "h", kind: "hold", available: -1n, locked: 1n }),
        entry({ transferId: "f", account: "@fees", available: 3n }),
      ],
      assets,
    );
    expect(events.map((e) => [e.id, e.type, (e.payload as { data: unknown }).data])).toEqual([
      ["wallet:t1:u1:BTC", "exchange.wallet.deposit.v1", { asset: "BTC", amount: "1.50000000", status: "CREDITED", reference: "t1" }],
      ["wallet:w1:u1:ETH", "exchange.wallet.withdrawal.v1", { asset: "ETH", amount: "1.000000000000000005", status: "REQUESTED", reference: "w1" }],
      ["wallet:w1c:u1:ETH", "exchange.wallet.withdrawal.v1", { asset: "ETH", amount: "1.000000000000000000", status: "COMPLETED", reference: "w1c" }],
      ["wallet:w2:u1:BTC", "exchange.wallet.withdrawal.v1", { asset: "BTC", amount: "0.00000007", status: "REJECTED", reference: "w2" }],
    ]);
  });
});
