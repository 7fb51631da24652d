import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { AuthService } from "#gen/exchange/auth/v1/auth_pb.js";
import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { TransferStatus, WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { withServiceKey } from "#kit/rpc/service-keys.js";
import type { AuthModule } from "../../../services/auth/src/main.js";
import { bearer, startEmbedded, type Embedded, type Person } from "./support.js";

// The internal operator and money-moving RPCs (docs/auth.md, "Who may call internal RPCs") on the internal port of
// an embedded exchange, over gRPC (HTTP/2) and Connect (HTTP/1.1): each admits only the callers its rule names (a
// service key of order or of the tooling, an operator's token); every other caller is refused with the right code
// before anything is read or changed, and the state is the same afterwards.

const ORDER_KEY = "order-key-for-internal-rpcs-test-0123456789";
const OPS_KEY = "ops-key-for-internal-rpcs-test-0123456789ab";
const UNKNOWN_KEY = "nobody-knows-this-key-0123456789abcdefghij";
const UNITS = 10n ** 8n;
const ADDRESS = "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh";

let env: Embedded;
let operator: Person;
let alice: Person;
let mallory: Person;
const today = new Date().toISOString().slice(0, 10);

beforeAll(async () => {
  env = await startEmbedded("internal-rpcs-", { EXCHANGE_CALLER_KEY_ORDER: ORDER_KEY, EXCHANGE_CALLER_KEY_OPS: OPS_KEY });
  operator = await env.signUp("operator@example.com", ["user", "operator"]);
  alice = await env.signUp("alice@example.com");
  mallory = await env.signUp("mallory@example.com");
  await env.wallet.wallet.creditDeposit("fund-alice-usdt", alice.userId, "USDT", 1_000n * UNITS);
  await env.wallet.wallet.creditDeposit("fund-alice-btc", alice.userId, "BTC", 50n * UNITS);
  await env.wallet.wallet.createHold({ holdId: "held", account: alice.userId, asset: "USDT", amount: 100n * UNITS, timeoutMs: 0 });
  // Above BTC's approval threshold: it waits for an operator.
  const { withdrawal } = await createClient(WalletService, alice.edge).requestWithdrawal({ withdrawalId: "big-1", asset: "BTC", network: "BTC", amount: "12", address: ADDRESS, totpCode: "" });
  expect(withdrawal?.status).toBe(TransferStatus.AWAITING_APPROVAL);
}, 60_000);

afterAll(async () => {
  await env?.exchange.stop();
  if (env) rmSync(env.dataDir, { recursive: true, force: true });
});

type Door = "gRPC" | "Connect";
const transport = (door: Door, interceptors: Interceptor[] = []): Transport =>
  door === "gRPC" ? createGrpcTransport({ baseUrl: env.exchange.listening.http2Url, interceptors }) : createConnectTransport({ baseUrl: env.exchange.listening.http1Url, httpVersion: "1.1", interceptors });

/** Each guarded RPC, called with a request it would carry out for a caller it admits. */
const GUARDED: { rpc: string; admits: "order" | "operators"; call(t: Transport): Promise<unknown> }[] = [
  { rpc: "CreateHold", admits: "order", call: (t) => createClient(WalletService, t).createHold({ holdId: "probe-hold", accountId: alice.userId, asset: "USDT", amount: "10" }) },
  { rpc: "CreateHolds", admits: "order", call: (t) => createClient(WalletService, t).createHolds({ holds: [{ holdId: "probe-holds", accountId: alice.userId, asset: "USDT", amount: "10" }] }) },
  { rpc: "VoidHold", admits: "order", call: (t) => createClient(WalletService, t).voidHold({ holdId: "held" }) },
  { rpc: "MoveHold", admits: "order", call: (t) => createClient(WalletService, t).moveHold({ holdId: "held", toHoldId: "probe-to", amount: "1" }) },
  { rpc: "ReduceHold", admits: "order", call: (t) => createClient(WalletService, t).reduceHold({ holdId: "held", requestId: "probe-reduce", amount: "10" }) },
  {
    rpc: "SettleTrade",
    admits: "order",
    call: (t) =>
      createClient(WalletService, t).settleTrade({ tradeId: "BTCUSDT:probe:1:0", symbol: "BTCUSDT", baseAsset: "BTC", quoteAsset: "USDT", buyerAccountId: alice.userId, sellerAccountId: mallory.userId, buyerHoldId: "held", sellerHoldId: "", baseAmount: "1", quoteAmount: "1", buyerIsMaker: true }),
  },
  {
    rpc: "SettleTrades",
    admits: "order",
    call: (t) =>
      createClient(WalletService, t).settleTrades({ trades: [{ tradeId: "BTCUSDT:probe:2:0", symbol: "BTCUSDT", baseAsset: "BTC", quoteAsset: "USDT", buyerAccountId: alice.userId, sellerAccountId: mallory.userId, buyerHoldId: "held", baseAmount: "1", quoteAmount: "1" }] }),
  },
  { rpc: "SettleTrades (voids)", admits: "order", call: (t) => createClient(WalletService, t).settleTrades({ voidHoldIds: ["held"] }) },
  { rpc: "Transfer", admits: "operators", call: (t) => createClient(WalletService, t).transfer({ transferId: "probe-transfer", fromAccountId: alice.userId, toAccountId: mallory.userId, asset: "USDT", amount: "500" }) },
  { rpc: "CreditAccount", admits: "operators", call: (t) => createClient(WalletService, t).creditAccount({ creditId: "probe-credit", accountId: mallory.userId, asset: "BTC", amount: "1000", reason: "free money" }) },
  { rpc: "ApproveWithdrawal", admits: "operators", call: (t) => createClient(WalletService, t).approveWithdrawal({ withdrawalId: "big-1" }) },
  { rpc: "RejectWithdrawal", admits: "operators", call: (t) => createClient(WalletService, t).rejectWithdrawal({ withdrawalId: "big-1", reason: "no" }) },
  { rpc: "ListWithdrawalApprovals", admits: "operators", call: (t) => createClient(WalletService, t).listWithdrawalApprovals({}) },
  { rpc: "ArchiveLedgerDay", admits: "operators", call: (t) => createClient(WalletService, t).archiveLedgerDay({ date: today }) },
  { rpc: "VerifyLedgerArchive", admits: "operators", call: (t) => createClient(WalletService, t).verifyLedgerArchive({ date: today }) },
  { rpc: "ArchiveTradesDay", admits: "operators", call: (t) => createClient(OrderService, t).archiveTradesDay({ date: today }) },
  { rpc: "VerifyTradesArchive", admits: "operators", call: (t) => createClient(OrderService, t).verifyTradesArchive({ date: today }) },
  { rpc: "SetAccountFrozen", admits: "order", call: (t) => createClient(AuthService, t).setAccountFrozen({ userId: alice.userId, frozen: true }) },
];

/** What the guarded RPCs could change: balances, the hold, the approval queue, the freeze, the archives. */
async function state() {
  const wallet = env.wallet.wallet;
  const ops = transport("gRPC", [withServiceKey(OPS_KEY)]);
  const auth = env.exchange.modules.find((module) => module.name === "auth") as unknown as AuthModule;
  return {
    balances: [...(await wallet.balances(alice.userId)), ...(await wallet.balances(mallory.userId))],
    hold: await wallet.hold("held"),
    approvals: (await wallet.listWithdrawalApprovals({ size: 10, token: "" })).items.map((w) => [w.id, w.status]),
    frozenAt: (await auth.auth.accounts.security(alice.userId)).frozenAt,
    ledgerArchived: (await createClient(WalletService, ops).verifyLedgerArchive({ date: today })).archived,
    tradesArchived: (await createClient(OrderService, ops).verifyTradesArchive({ date: today })).symbols.some((symbol) => symbol.archived),
  };
}

async function refusal(call: Promise<unknown>) {
  const error = ConnectError.from(await call.then(() => new Error("expected a refusal"), (e: unknown) => e));
  return { code: Code[error.code], reason: error.findDetails(ErrorInfoSchema)[0]?.reason };
}

describe("internal operator and money-moving RPCs", () => {
  for (const door of ["gRPC", "Connect"] as const) {
    it(`refuses every caller they do not admit (${door}), and nothing changes`, async () => {
      const before = await state();
      const callers: { who: string; interceptors: Interceptor[]; expected(admits: "order" | "operators"): { code: string; reason: string } }[] = [
        { who: "nobody", interceptors: [], expected: () => ({ code: "Unauthenticated", reason: "-1002" }) },
        { who: "an unknown key", interceptors: [withServiceKey(UNKNOWN_KEY)], expected: () => ({ code: "Unauthenticated", reason: "-1002" }) },
        { who: "a user's token", interceptors: [bearer(alice.token)], expected: () => ({ code: "PermissionDenied", reason: "-2015" }) },
        { who: "an operator's token", interceptors: [bearer(operator.token)], expected: (admits) => (admits === "order" ? { code: "PermissionDenied", reason: "-2015" } : { code: "admitted", reason: "" }) },
        { who: "the tooling's key", interceptors: [withServiceKey(OPS_KEY)], expected: (admits) => (admits === "order" ? { code: "PermissionDenied", reason: "-2015" } : { code: "admitted", reason: "" }) },
        { who: "order's key", interceptors: [withServiceKey(ORDER_KEY)], expected: (admits) => (admits === "operators" ? { code: "PermissionDenied", reason: "-2015" } : { code: "admitted", reason: "" }) },
      ];
      for (const caller of callers) {
        for (const guarded of GUARDED) {
          const expected = caller.expected(guarded.admits);
          if (expected.code === "admitted") continue;
          expect([guarded.rpc, caller.who, await refusal(guarded.call(transport(door, caller.interceptors)))]).toEqual([guarded.rpc, caller.who, expected]);
        }
      }
      expect(await state()).toEqual(before);
    });
  }

  it("serves order's key: holds and the freeze, over the network as in process", async () => {
    const asOrder = transport("gRPC", [withServiceKey(ORDER_KEY)]);
    const wallet = createClient(WalletService, asOrder);
    expect((await wallet.createHold({ holdId: "order-hold", accountId: alice.userId, asset: "USDT", amount: "10" })).hold?.remaining).toBe("10.00000000");
    expect((await wallet.voidHold({ holdId: "order-hold" })).hold?.remaining).toBe("0.00000000");
    const auth = createClient(AuthService, asOrder);
    expect((await auth.setAccountFrozen({ userId: mallory.userId, frozen: true })).wasFrozen).toBe(false);
    expect((await auth.setAccountFrozen({ userId: mallory.userId, frozen: false })).wasFrozen).toBe(true);
  });

  it("serves operators, by token over either door, and the tooling's key: credits, the approval queue, archives", async () => {
    const byToken = createClient(WalletService, transport("Connect", [bearer(operator.token)]));
    const byKey = createClient(WalletService, transport("gRPC", [withServiceKey(OPS_KEY)]));
    expect((await byToken.creditAccount({ creditId: "ticket-1", accountId: mallory.userId, asset: "BTC", amount: "1", reason: "ticket 1" })).duplicate).toBe(false);
    expect((await byKey.creditAccount({ creditId: "ticket-2", accountId: mallory.userId, asset: "BTC", amount: "2", reason: "ticket 2" })).duplicate).toBe(false);
    expect((await env.wallet.wallet.balances(mallory.userId, ["BTC"]))[0]?.available).toBe(3n * UNITS);
    expect((await createClient(WalletService, transport("gRPC", [bearer(operator.token)])).listWithdrawalApprovals({})).withdrawals.map((w) => w.withdrawalId)).toEqual(["big-1"]);
    expect((await byKey.rejectWithdrawal({ withdrawalId: "big-1", reason: "ticket 3" })).withdrawal?.status).toBe(TransferStatus.REJECTED);
    expect((await byKey.archiveLedgerDay({ date: today })).rows).toBeGreaterThan(0);
    expect((await byToken.verifyLedgerArchive({ date: today })).archived).toBe(true);
  });
});
