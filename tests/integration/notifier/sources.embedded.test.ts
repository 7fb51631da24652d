// Notifications end to end in embedded mode: the whole exchange in one process, a user who sets a webhook through
// the public Connect API, then signs in, creates an API key, is credited a deposit, trades and changes password.
// Each of those reaches the webhook once, signed, from the services' outboxes through the embedded notifier.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { ApiKeyType, AuthService, Permission } from "#gen/exchange/auth/v1/auth_pb.js";
import { OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { NotificationKind, NotifierService } from "#gen/exchange/notifier/v1/notifier_pb.js";
import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";
import type { NotifierModule } from "../../../services/notifier/src/main.js";
import { until } from "../../support/until.js";
import { startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.js";

const PASSWORD = "correct horse battery staple";
const ALL = [NotificationKind.TRADE_FILL, NotificationKind.ORDER_STATE, NotificationKind.DEPOSIT, NotificationKind.WITHDRAWAL, NotificationKind.SECURITY];

let dataDir: string;
let exchange: RunningExchange;
let baseUrl: string;
let webhook: WebhookReceiver;

const bearer = (token: string): Interceptor => (next) => (request) => {
  request.header.set("authorization", `Bearer ${token}`);
  return next(request);
};

async function user(email: string): Promise<{ userId: string; transport: Transport }> {
  const auth = createClient(AuthService, createConnectTransport({ baseUrl }));
  const { userId } = await auth.signUp({ email, password: PASSWORD });
  const { tokens } = await auth.signIn({ email, password: PASSWORD });
  return { userId, transport: createConnectTransport({ baseUrl, interceptors: [bearer(tokens!.accessToken)] }) };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "notify-e2e-"));
  webhook = await startWebhookReceiver();
  exchange = await startExchange(
    { service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
    { LOG_LEVEL: "warn", AUTH_ARGON2_MEMORY_KIB: "256", AUTH_ARGON2_TIME_COST: "1", WALLET_SIMULATED_CHAIN_FAUCET: "false" },
  );
  baseUrl = `${exchange.listening.http1Url}/connect`;
});

afterAll(async () => {
  await exchange?.stop();
  await webhook?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const of = (accountId: string, type: string) => webhook.received.filter((r) => r.body.accountId === accountId && r.body.type === type);

describe("notifications from every source, embedded", () => {
  it("reach the user's webhook once each: security, deposit, order state and fills", async () => {
    const dana = await user("dana@example.com");
    const erin = await user("erin@example.com");
    // Their first sign-ins are handled (sent nowhere: no preferences yet) before any preference exists.
    const consumer = (exchange.modules.find((m) => m.name === "notifier") as unknown as NotifierModule).consumer;
    await until(() => consumer.handledCount >= 2);
    const notifier = createClient(NotifierService, dana.transport);
    const set = await notifier.setNotificationPreferences({ preferences: { webhook: { url: webhook.url, kinds: ALL } } });
    webhook.secret = set.webhookSecret;
    await createClient(NotifierService, erin.transport).setNotificationPreferences({ preferences: { webhook: { url: webhook.url, kinds: [NotificationKind.TRADE_FILL] } } });
    expect((await notifier.getNotificationPreferences({})).preferences?.webhook?.url).toBe(webhook.url);

    // Security: a sign-in, a new API key, a password change.
    const auth = createClient(AuthService, dana.transport);
    await createClient(AuthService, createConnectTransport({ baseUrl })).signIn({ email: "dana@example.com", password: PASSWORD });
    await auth.createApiKey({ label: "bot", type: ApiKeyType.HMAC_SHA256, permissions: [Permission.READ] });

    // Money in, then a trade between dana (sells) and erin (buys).
    const wallet = (exchange.modules.find((m) => m.name === "wallet") as unknown as { parts: WalletParts }).parts.wallet;
    await wallet.creditDeposit("notify-dana-btc", dana.userId, "BTC", 10n ** 7n); // 0.1 BTC
    await wallet.creditDeposit("notify-erin-usdt", erin.userId, "USDT", 10_000n * 10n ** 8n);
    const limit = { symbol: "BTCUSDT", type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, price: "60000.00", quantity: "0.01000000" };
    await createClient(OrderService, dana.transport).placeOrder({ ...limit, side: Side.SELL });
    await createClient(OrderService, erin.transport).placeOrder({ ...limit, side: Side.BUY });
    await auth.changePassword({ currentPassword: PASSWORD, newPassword: `${PASSWORD}!` });

    await until(
      () =>
        of(dana.userId, "exchange.auth.signed-in.v1").length >= 1 &&
        of(dana.userId, "exchange.auth.api-key-created.v1").length >= 1 &&
        of(dana.userId, "exchange.auth.password-changed.v1").length >= 1 &&
        of(dana.userId, "exchange.wallet.deposit.v1").length >= 1 &&
        of(dana.userId, "exchange.order.filled.v1").length >= 1 &&
        of(erin.userId, "exchange.order.filled.v1").length >= 1,
      20_000,
    );
    expect(webhook.received.filter((r) => r.body.accountId === dana.userId).every((r) => r.signatureValid)).toBe(true);
    // Once each: no id twice.
    const ids = webhook.received.map((r) => r.eventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(of(dana.userId, "exchange.auth.signed-in.v1")).toHaveLength(1); // the one before preferences went nowhere
    expect(of(dana.userId, "exchange.wallet.deposit.v1")[0]!.body.data).toEqual({ asset: "BTC", amount: "0.10000000", status: "CREDITED", reference: expect.any(String) });
    expect(of(dana.userId, "exchange.auth.api-key-created.v1")[0]!.body.data).toMatchObject({ label: "bot", keyType: "hmac-sha256", permissions: "read" });
    expect(of(dana.userId, "exchange.order.filled.v1")[0]!.body.data).toMatchObject({ symbol: "BTCUSDT", side: "SELL", price: "60000.00000000", qty: "0.01000000", status: "FILLED" });
    expect(of(erin.userId, "exchange.order.filled.v1")[0]!.body.data).toMatchObject({ side: "BUY", price: "60000.00000000", qty: "0.01000000", commissionAsset: "BTC" });
    // Order states went to dana (who asked for them), not to erin (fills only).
    expect(of(dana.userId, "exchange.order.updated.v1").map((r) => r.body.data.executionType)).toContain("NEW");
    expect(of(erin.userId, "exchange.order.updated.v1")).toEqual([]);
    expect(of(erin.userId, "exchange.wallet.deposit.v1")).toEqual([]);
  });
});
