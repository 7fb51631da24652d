import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { BadRequestSchema, ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { BalanceUpdateReason, HoldState, TransferStatus, WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { inProcessTransport } from "#kit/rpc/in-process.js";
import { presentServiceKey } from "#kit/rpc/service-keys.js";
import { WALLET_CALLERS } from "../../../services/wallet/src/rpc/wallet.callers.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { EmbeddedMfaVerifier } from "../../../services/wallet/src/adapters/mfa-verifier.embedded.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";

// wallet.v1 through its real router: in-process and over HTTP/2 (gRPC), mounted by the runtime
// exactly as `npm start` mounts it. Over gRPC the client presents order's key on holds and
// settlements and the tooling's key on operator calls, as the callers that may make them would
// (who may call what: tests/integration/admin/internal-rpcs.test.ts).

const ORDER_KEY = "order-key-for-wallet-rpc-test-0123456789ab";
const OPS_KEY = "ops-key-for-wallet-rpc-test-0123456789abcd";
const keyed = [presentServiceKey("order", ORDER_KEY, WALLET_CALLERS), presentServiceKey("ops", OPS_KEY, WALLET_CALLERS)];

let exchange: RunningExchange;
let dataDir: string;
let parts: WalletParts;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "wallet-rpc-"));
  exchange = await startExchange({ service: "wallet", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 }, { EXCHANGE_CALLER_KEY_ORDER: ORDER_KEY, EXCHANGE_CALLER_KEY_OPS: OPS_KEY });
  parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
});

afterAll(async () => {
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const errorOf = async (promise: Promise<unknown>) => ConnectError.from(await promise.then(() => new Error("expected an error"), (e: unknown) => e));

for (const transport of ["in-process", "gRPC over HTTP/2"] as const) {
  describe(`wallet.v1 ${transport}`, () => {
    let client: Client<typeof WalletService>;
    const tag = transport === "in-process" ? "ip" : "h2";
    const buyer = `${tag}-buyer`;
    const seller = `${tag}-seller`;
    beforeAll(async () => {
      client = createClient(WalletService, transport === "in-process" ? inProcessTransport(exchange.routes) : createGrpcTransport({ baseUrl: exchange.listening.http2Url, interceptors: keyed }));
      await parts.wallet.creditDeposit(`${tag}-fund-usdt`, buyer, "USDT", 100_000n * 10n ** 8n);
      await parts.wallet.creditDeposit(`${tag}-fund-btc`, seller, "BTC", 2n * 10n ** 8n);
    });

    it("lists assets with scales and networks", async () => {
      const { assets } = await client.listAssets({});
      expect(assets.map((asset) => [asset.asset, asset.scale])).toEqual([["BTC", 8], ["ETH", 18], ["USDT", 8], ["XRP", 6]]);
      expect(assets[0]!.networks[0]).toMatchObject({ network: "BTC", withdrawFee: "0.00020000", confirmations: 2 });
    });

    it("holds, settles once (a replay answers duplicate and changes nothing), voids the rest", async () => {
      const buyerHold = await client.createHold({ holdId: `${tag}-o1`, accountId: buyer, asset: "USDT", amount: "30000" });
      expect(buyerHold.hold).toMatchObject({ state: HoldState.PENDING, remaining: "30000.00000000" });
      await client.createHold({ holdId: `${tag}-o2`, accountId: seller, asset: "BTC", amount: "1" });
      const request = {
        tradeId: `BTCUSDT:${tag}:1:0`,
        symbol: "BTCUSDT",
        baseAsset: "BTC",
        quoteAsset: "USDT",
        buyerAccountId: buyer,
        sellerAccountId: seller,
        buyerHoldId: `${tag}-o1`,
        sellerHoldId: `${tag}-o2`,
        baseAmount: "0.5",
        quoteAmount: "27123.45",
        buyerIsMaker: false,
      };
      const first = await client.settleTrade(request);
      expect(first).toMatchObject({ buyerFee: "0.00050000", sellerFee: "27.12345000", duplicate: false });
      const balances = await client.getBalances({ accountId: buyer });
      const again = await client.settleTrade(request);
      expect(again).toMatchObject({ buyerFee: "0.00050000", sellerFee: "27.12345000", duplicate: true });
      expect(await client.getBalances({ accountId: buyer })).toEqual(balances);
      expect(balances.balances.map((b) => [b.asset, b.free, b.locked])).toEqual([
        ["BTC", "0.49950000", "0.00000000"],
        ["USDT", "70000.00000000", "2876.55000000"],
      ]);
      const voided = await client.voidHold({ holdId: `${tag}-o1` });
      expect(voided.hold).toMatchObject({ state: HoldState.POSTED, remaining: "0.00000000" });
      expect((await client.getBalances({ accountId: buyer, assets: ["USDT"] })).balances[0]).toMatchObject({ free: "72876.55000000", locked: "0.00000000" });
    });

    it("MoveHold ends a hold into another: the moved part stays locked there, the rest returns; bad requests change nothing", async () => {
      const account = `${tag}-mover`;
      await parts.wallet.creditDeposit(`${tag}-mover-fund`, account, "USDT", 3_000n * 10n ** 8n);
      await client.createHold({ holdId: `${tag}-m-old`, accountId: account, asset: "USDT", amount: "2900" });
      const zero = await client.createHold({ holdId: `${tag}-m-new`, accountId: account, asset: "USDT", amount: "0" });
      expect(zero.hold).toMatchObject({ state: HoldState.PENDING, amount: "0.00000000" });
      const before = await client.getBalances({ accountId: account });
      const noTarget = await errorOf(client.moveHold({ holdId: `${tag}-m-old`, amount: "1" }));
      expect(noTarget.code).toBe(Code.InvalidArgument);
      expect(noTarget.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual(["to_hold_id"]);
      const zeroAmount = await errorOf(client.moveHold({ holdId: `${tag}-m-old`, toHoldId: `${tag}-m-new`, amount: "0" }));
      expect(zeroAmount.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual(["amount"]);
      const tooMuch = await errorOf(client.moveHold({ holdId: `${tag}-m-old`, toHoldId: `${tag}-m-new`, amount: "2900.00000001" }));
      expect(tooMuch.code).toBe(Code.FailedPrecondition);
      expect(tooMuch.findDetails(ErrorInfoSchema)[0]?.reason).toBe("-2010");
      expect(await client.getBalances({ accountId: account })).toEqual(before);

      const moved = await client.moveHold({ holdId: `${tag}-m-old`, toHoldId: `${tag}-m-new`, amount: "2899.5" });
      expect(moved.hold).toMatchObject({ state: HoldState.VOIDED, remaining: "0.00000000" });
      expect(moved.to).toMatchObject({ state: HoldState.PENDING, amount: "2899.50000000", remaining: "2899.50000000" });
      expect((await client.getBalances({ accountId: account, assets: ["USDT"] })).balances[0]).toMatchObject({ free: "100.50000000", locked: "2899.50000000" });
      // The same request again changes nothing; a plain void of the ended hold is another request under its id.
      await client.moveHold({ holdId: `${tag}-m-old`, toHoldId: `${tag}-m-new`, amount: "2899.5" });
      expect((await errorOf(client.voidHold({ holdId: `${tag}-m-old` }))).code).toBe(Code.AlreadyExists);
      const released = await client.voidHold({ holdId: `${tag}-m-new` });
      expect(released.hold).toMatchObject({ amount: "2899.50000000", state: HoldState.VOIDED });
      expect((await client.getBalances({ accountId: account, assets: ["USDT"] })).balances[0]).toMatchObject({ free: "3000.00000000", locked: "0.00000000" });
    });

    it("settles a batch trade by trade: a bad trade fails alone in its slot, a resubmitted batch answers duplicate", async () => {
      const batchBuyer = `${tag}-batch-buyer`;
      const batchSeller = `${tag}-batch-seller`;
      await parts.wallet.creditDeposit(`${tag}-batch-fund-usdt`, batchBuyer, "USDT", 10_000n * 10n ** 8n);
      await parts.wallet.creditDeposit(`${tag}-batch-fund-btc`, batchSeller, "BTC", 10n ** 8n);
      await client.createHold({ holdId: `${tag}-b-buy`, accountId: batchBuyer, asset: "USDT", amount: "5000" });
      await client.createHold({ holdId: `${tag}-b-sell`, accountId: batchSeller, asset: "BTC", amount: "0.5" });
      const trade = (index: number, fields: Partial<{ buyerHoldId: string; baseAmount: string; quoteAmount: string; buyerIsMaker: boolean }> = {}) => ({
        tradeId: `BTCUSDT:${tag}:2:${index}`,
        symbol: "BTCUSDT",
        baseAsset: "BTC",
        quoteAsset: "USDT",
        buyerAccountId: batchBuyer,
        sellerAccountId: batchSeller,
        buyerHoldId: `${tag}-b-buy`,
        sellerHoldId: `${tag}-b-sell`,
        baseAmount: "0.1",
        quoteAmount: "1000",
        buyerIsMaker: false,
        ...fields,
      });
      const trades = [
        trade(0),
        trade(1, { buyerHoldId: `${tag}-no-such-hold` }),
        trade(2, { baseAmount: "0.123456789" }), // BTC has 8 digits
        trade(3, { quoteAmount: "1,5" }), // not a decimal at all
        trade(4, { baseAmount: "0.2", quoteAmount: "2000", buyerIsMaker: true }),
      ];
      const outcome = (result: { result: { case: string | undefined; value?: unknown } }) =>
        result.result.case === "settled" ? result.result.value : result.result.case === "error" ? (result.result.value as { code: string }).code : "empty";
      const settled = { buyerFee: "0.00010000", sellerFee: "1.00000000" };
      const settledBig = { buyerFee: "0.00020000", sellerFee: "2.00000000" };
      const first = await client.settleTrades({ trades });
      expect(first.results.map(outcome)).toEqual([
        expect.objectContaining({ ...settled, duplicate: false }),
        "NOT_FOUND",
        "BAD_PRECISION",
        "MANDATORY_PARAM_EMPTY_OR_MALFORMED",
        expect.objectContaining({ ...settledBig, duplicate: false }),
      ]);
      const errors = first.results.map((result) => (result.result.case === "error" ? result.result.value.message : ""));
      expect(errors[1]).toContain(`${tag}-no-such-hold`);
      expect(errors[2]).toContain("base_amount");
      expect(errors[3]).toContain("quote_amount");

      // Only trades 0 and 4 moved money: 0.3 BTC for 3000 USDT, 10 bps each side.
      const balancesOf = async () =>
        Promise.all([batchBuyer, batchSeller].map(async (accountId) => (await client.getBalances({ accountId })).balances.map((b) => [b.asset, b.free, b.locked])));
      const after = await balancesOf();
      expect(after).toEqual([
        [
          ["BTC", "0.29970000", "0.00000000"],
          ["USDT", "5000.00000000", "2000.00000000"],
        ],
        [
          ["BTC", "0.50000000", "0.20000000"],
          ["USDT", "2997.00000000", "0.00000000"],
        ],
      ]);

      const again = await client.settleTrades({ trades });
      expect(again.results.map(outcome)).toEqual([
        expect.objectContaining({ ...settled, duplicate: true }),
        "NOT_FOUND",
        "BAD_PRECISION",
        "MANDATORY_PARAM_EMPTY_OR_MALFORMED",
        expect.objectContaining({ ...settledBig, duplicate: true }),
      ]);
      expect(await balancesOf()).toEqual(after);

      // A malformed batch fails as a whole, before anything runs.
      const empty = await errorOf(client.settleTrades({ trades: [] }));
      expect(empty.code).toBe(Code.InvalidArgument);
      expect(empty.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.description)).toEqual(["trades or void_hold_ids must not be empty"]);
      const tooMany = await errorOf(client.settleTrades({ trades: Array.from({ length: 4097 }, (_, index) => trade(100 + index, { baseAmount: "0.0001", quoteAmount: "1" })) }));
      expect(tooMany.code).toBe(Code.InvalidArgument);
      expect(tooMany.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual(["trades"]);
      expect(await balancesOf()).toEqual(after);
    });

    it("takes a group's holds in one call, each on its own: a refused or malformed hold fails alone, a retry holds nothing twice", async () => {
      const account = `${tag}-group`;
      await parts.wallet.creditDeposit(`${tag}-group-fund`, account, "USDT", 1_000n * 10n ** 8n);
      const holds = [
        { holdId: `${tag}-g1`, accountId: account, asset: "USDT", amount: "600" },
        { holdId: `${tag}-g2`, accountId: account, asset: "USDT", amount: "600" }, // 400 left: refused
        { holdId: `${tag}-g3`, accountId: account, asset: "usdt", amount: "1" }, // malformed asset
        { holdId: `${tag}-g4`, accountId: account, asset: "USDT", amount: "400" },
      ];
      const { results } = await client.createHolds({ holds });
      expect(results.map(({ result }) => (result.case === "error" ? result.value.code : result.case))).toEqual(["done", "INSUFFICIENT_BALANCE", "MANDATORY_PARAM_EMPTY_OR_MALFORMED", "done"]);
      const again = await client.createHolds({ holds: [holds[0]!, holds[3]!] });
      expect(again.results.map(({ result }) => result.case)).toEqual(["done", "done"]);
      expect((await client.getBalances({ accountId: account })).balances.map((b) => [b.asset, b.free, b.locked])).toEqual([["USDT", "0.00000000", "1000.00000000"]]);
      expect((await errorOf(client.createHolds({ holds: [] }))).code).toBe(Code.InvalidArgument);
    });

    it("voids the holds a batch of trades finished in the same call, only once every trade settled", async () => {
      const [b, s] = [`${tag}-sv-buyer`, `${tag}-sv-seller`];
      await parts.wallet.creditDeposit(`${tag}-sv-usdt`, b, "USDT", 10_000n * 10n ** 8n);
      await parts.wallet.creditDeposit(`${tag}-sv-btc`, s, "BTC", 10n ** 8n);
      await client.createHolds({ holds: [
        { holdId: `${tag}-svb`, accountId: b, asset: "USDT", amount: "3100" },
        { holdId: `${tag}-svs`, accountId: s, asset: "BTC", amount: "0.1" },
      ] });
      const trade = (n: number, quote: string) => ({ tradeId: `BTCUSDT:${tag}:sv:${n}`, symbol: "BTCUSDT", baseAsset: "BTC", quoteAsset: "USDT", buyerAccountId: b, sellerAccountId: s, buyerHoldId: `${tag}-svb`, sellerHoldId: `${tag}-svs`, baseAmount: "0.1", quoteAmount: quote, buyerIsMaker: false });
      // The second trade needs more than the buyer's hold has left: it fails, so no hold is voided.
      const failed = await client.settleTrades({ trades: [trade(1, "3000"), trade(2, "3000")], voidHoldIds: [`${tag}-svb`, `${tag}-svs`] });
      expect(failed.results.map(({ result }) => result.case)).toEqual(["settled", "error"]);
      expect(failed.voids).toEqual([]);
      expect((await client.getBalances({ accountId: b })).balances.map((x) => [x.asset, x.free, x.locked])).toEqual([["BTC", "0.09990000", "0.00000000"], ["USDT", "6900.00000000", "100.00000000"]]);
      // Every trade settles (the first again, a duplicate): then both holds are voided, the buyer's 100 USDT back.
      const settled = await client.settleTrades({ trades: [trade(1, "3000")], voidHoldIds: [`${tag}-svb`, `${tag}-svs`, `${tag}-never-held`] });
      expect(settled.results[0]!.result).toMatchObject({ case: "settled", value: { duplicate: true } });
      expect(settled.voids.map(({ result }) => (result.case === "error" ? result.value.code : result.case))).toEqual(["done", "done", "NOT_FOUND"]);
      expect((await client.getBalances({ accountId: b })).balances.map((x) => [x.asset, x.free, x.locked])).toEqual([["BTC", "0.09990000", "0.00000000"], ["USDT", "7000.00000000", "0.00000000"]]);
      // Voids alone (an order group without trades), again: idempotent.
      const alone = await client.settleTrades({ voidHoldIds: [`${tag}-svb`] });
      expect(alone.voids.map(({ result }) => result.case)).toEqual(["done"]);
      expect((await errorOf(client.settleTrades({}))).code).toBe(Code.InvalidArgument);
    });

    it("refuses bad input with InvalidArgument naming the field, and changes nothing", async () => {
      const before = await client.getBalances({ accountId: seller });
      const malformed = await errorOf(client.createHold({ holdId: `${tag}-bad1`, accountId: seller, asset: "BTC", amount: "1,5" }));
      expect(malformed.code).toBe(Code.InvalidArgument);
      expect(malformed.findDetails(ErrorInfoSchema)[0]?.reason).toBe("-1102");
      expect(malformed.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual(["amount"]);
      const precision = await errorOf(client.createHold({ holdId: `${tag}-bad2`, accountId: seller, asset: "BTC", amount: "0.123456789" }));
      expect(precision.code).toBe(Code.InvalidArgument);
      expect(precision.findDetails(ErrorInfoSchema)[0]?.reason).toBe("-1111");
      expect(precision.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual(["amount"]);
      const unknown = await errorOf(client.transfer({ transferId: `${tag}-bad3`, fromAccountId: seller, toAccountId: buyer, asset: "DOGE", amount: "1" }));
      expect(unknown.code).toBe(Code.InvalidArgument);
      expect(unknown.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual(["asset"]);
      const zero = await errorOf(client.transfer({ transferId: `${tag}-bad4`, fromAccountId: seller, toAccountId: buyer, asset: "BTC", amount: "0" }));
      expect(zero.code).toBe(Code.InvalidArgument);
      const overdraft = await errorOf(client.transfer({ transferId: `${tag}-bad5`, fromAccountId: seller, toAccountId: buyer, asset: "BTC", amount: "100" }));
      expect(overdraft.code).toBe(Code.FailedPrecondition);
      expect(overdraft.findDetails(ErrorInfoSchema)[0]?.reason).toBe("-2010");
      expect(await client.getBalances({ accountId: seller })).toEqual(before);
    });

    it("pages the ledger history with a cursor", async () => {
      const first = await client.listLedgerEntries({ accountId: buyer, asset: "USDT", page: { pageSize: 2 } });
      expect(first.entries).toHaveLength(2);
      expect(first.entries[0]).toMatchObject({ kind: "void", availableDelta: "2876.55000000", lockedDelta: "-2876.55000000" });
      const second = await client.listLedgerEntries({ accountId: buyer, asset: "USDT", page: { pageSize: 10, pageToken: first.page!.nextPageToken } });
      expect(second.entries.map((entry) => entry.kind)).toEqual(["hold", "deposit"]);
      expect(second.page?.nextPageToken).toBe("");
    });

    it("withdraws through the approval queue, and requires MFA when the account has it", async () => {
      const address = await client.getDepositAddress({ accountId: seller, asset: "BTC", network: "BTC" });
      expect(address.address).toMatch(/^btc1/);
      const small = await client.requestWithdrawal({ withdrawalId: `${tag}-w1`, accountId: buyer, asset: "USDT", network: "TRX", amount: "100", address: "T-dest" });
      expect(small.withdrawal).toMatchObject({ status: TransferStatus.COMPLETED, fee: "1.00000000" });
      const listed = await client.listWithdrawals({ accountId: buyer });
      expect(listed.withdrawals.map((w) => w.withdrawalId)).toEqual([`${tag}-w1`]);
      (parts.mfa as EmbeddedMfaVerifier).enable(seller, "JBSWY3DPEHPK3PXP");
      const denied = await errorOf(client.requestWithdrawal({ withdrawalId: `${tag}-w2`, accountId: seller, asset: "BTC", network: "BTC", amount: "0.1", address: "bc1q" }));
      expect(denied.code).toBe(Code.PermissionDenied);
    });

    it("lists the approval queue of every account, oldest first, paged, each withdrawal with its account; approved and rejected ones leave it", async () => {
      const [first, second] = [`${tag}-queue-a`, `${tag}-queue-b`];
      await parts.wallet.creditDeposit(`${tag}-queue-fund-a`, first, "BTC", 50n * 10n ** 8n);
      await parts.wallet.creditDeposit(`${tag}-queue-fund-b`, second, "BTC", 50n * 10n ** 8n);
      const tick = () => new Promise((resolve) => setTimeout(resolve, 3));
      // BTC waits for approval above 10.
      const requested = [
        { withdrawalId: `${tag}-qw1`, accountId: first, amount: "11" },
        { withdrawalId: `${tag}-qw2`, accountId: second, amount: "12.5" },
        { withdrawalId: `${tag}-qw3`, accountId: first, amount: "13" },
      ];
      for (const w of requested) {
        const { withdrawal } = await client.requestWithdrawal({ ...w, asset: "BTC", network: "BTC", address: "bc1q-cold" });
        expect(withdrawal).toMatchObject({ status: TransferStatus.AWAITING_APPROVAL, accountId: w.accountId });
        await tick();
      }
      const ours = <T extends { withdrawalId: string }>(withdrawals: T[]) => withdrawals.filter((w) => w.withdrawalId.startsWith(`${tag}-qw`));
      const drain = async (pageSize: number) => {
        const all = [];
        let pageToken = "";
        do {
          const page = await client.listWithdrawalApprovals({ page: { pageSize, pageToken } });
          expect(page.withdrawals.length).toBeLessThanOrEqual(pageSize);
          all.push(...page.withdrawals);
          pageToken = page.page?.nextPageToken ?? "";
        } while (pageToken !== "");
        return all;
      };
      const queue = ours(await drain(1));
      expect(queue.map((w) => [w.withdrawalId, w.accountId, w.amount, w.status])).toEqual([
        [`${tag}-qw1`, first, "11.00000000", TransferStatus.AWAITING_APPROVAL],
        [`${tag}-qw2`, second, "12.50000000", TransferStatus.AWAITING_APPROVAL],
        [`${tag}-qw3`, first, "13.00000000", TransferStatus.AWAITING_APPROVAL],
      ]);
      expect(ours(await drain(100))).toEqual(queue);

      expect((await client.approveWithdrawal({ withdrawalId: `${tag}-qw1` })).withdrawal?.status).toBe(TransferStatus.COMPLETED);
      expect((await client.rejectWithdrawal({ withdrawalId: `${tag}-qw2`, reason: "unverified address" })).withdrawal?.status).toBe(TransferStatus.REJECTED);
      expect(ours(await drain(2)).map((w) => w.withdrawalId)).toEqual([`${tag}-qw3`]);
      await client.rejectWithdrawal({ withdrawalId: `${tag}-qw3`, reason: "test over" });
      expect(ours(await drain(100))).toEqual([]);

      const badToken = await errorOf(client.listWithdrawalApprovals({ page: { pageSize: 10, pageToken: "garbage" } }));
      expect(badToken.code).toBe(Code.InvalidArgument);
      expect(badToken.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual(["page_token"]);
    });

    it("credits an account for an operator: the reason is recorded, a retry answers duplicate, other content under the same id is refused", async () => {
      const account = `${tag}-credited`;
      const request = { creditId: `${tag}-credit-1`, accountId: account, asset: "USDT", amount: "250.5", reason: "compensation, ticket 42" };
      const credited = await client.creditAccount(request);
      expect(credited.duplicate).toBe(false);
      expect(credited.deposit).toMatchObject({ depositId: `internal:${tag}-credit-1`, asset: "USDT", network: "internal", amount: "250.50000000", status: TransferStatus.COMPLETED });
      const balances = await client.getBalances({ accountId: account });
      expect(balances.balances.map((b) => [b.asset, b.free])).toEqual([["USDT", "250.50000000"]]);
      const stored = await parts.wallet.store.doc(`deposit:internal:${tag}-credit-1`);
      expect(stored?.doc).toMatchObject({ account, reason: "compensation, ticket 42" });

      const again = await client.creditAccount(request);
      expect(again.duplicate).toBe(true);
      expect(again.deposit).toEqual(credited.deposit);
      expect(await client.getBalances({ accountId: account })).toEqual(balances);

      for (const changed of [{ amount: "250.6" }, { reason: "another reason" }, { accountId: `${tag}-someone-else` }, { asset: "BTC", amount: "1" }]) {
        const refused = await errorOf(client.creditAccount({ ...request, ...changed }));
        expect([changed, refused.code]).toEqual([changed, Code.AlreadyExists]);
        expect(refused.findDetails(ErrorInfoSchema)[0]?.reason).toBe("-2026");
      }

      // Bad input: InvalidArgument naming the field, and nothing changes.
      const fees = await client.getBalances({ accountId: "@fees" });
      const bad = async (fields: Partial<typeof request>, field: string, reason?: string) => {
        const error = await errorOf(client.creditAccount({ ...request, creditId: `${tag}-credit-bad-${field}-${Math.random()}`, ...fields }));
        expect([fields, error.code]).toEqual([fields, Code.InvalidArgument]);
        expect(error.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual([field]);
        if (reason) expect(error.findDetails(ErrorInfoSchema)[0]?.reason).toBe(reason);
      };
      await bad({ asset: "DOGE" }, "asset");
      await bad({ asset: "usdt" }, "asset");
      await bad({ amount: "1,5" }, "amount", "-1102");
      await bad({ amount: "-1" }, "amount", "-1102");
      await bad({ amount: "0" }, "amount");
      await bad({ asset: "BTC", amount: "0.123456789" }, "amount", "-1111");
      await bad({ accountId: "@fees" }, "account_id");
      await bad({ accountId: "" }, "account_id");
      await bad({ reason: "" }, "reason");
      await bad({ reason: "   " }, "reason");
      const noId = await errorOf(client.creditAccount({ ...request, creditId: "" }));
      expect(noId.code).toBe(Code.InvalidArgument);
      expect(await client.getBalances({ accountId: account })).toEqual(balances);
      expect(await client.getBalances({ accountId: "@fees" })).toEqual(fees);
      expect((await client.listDeposits({ accountId: account })).deposits.map((d) => d.depositId)).toEqual([`internal:${tag}-credit-1`]);
    });

    it("streams one account's balance updates as signed decimals from its cursor, and refuses a bad cursor", async () => {
      const account = `${tag}-streamer`;
      const abort = new AbortController();
      try {
        const stream = client.streamBalanceUpdates({ accountId: account }, { signal: abort.signal })[Symbol.asyncIterator]();
        const start = (await stream.next()).value!;
        expect(start.update).toBeUndefined();
        await parts.wallet.creditDeposit(`${tag}-stream-other`, `${tag}-someone-else`, "BTC", 1n);
        await parts.wallet.creditDeposit(`${tag}-stream-dep`, account, "XRP", 30_000_000n);
        await parts.wallet.requestWithdrawal({ withdrawalId: `${tag}-stream-w`, account, asset: "XRP", network: "", amount: 21_500_000n, address: "rDest", memo: "7", totpCode: "" });
        const deposit = (await stream.next()).value!;
        const withdrawal = (await stream.next()).value!;
        expect(deposit.update).toMatchObject({ accountId: account, asset: "XRP", delta: "30.000000", reason: BalanceUpdateReason.DEPOSIT, reference: expect.stringContaining(`${tag}-stream-dep`) });
        expect(withdrawal.update).toMatchObject({ accountId: account, asset: "XRP", delta: "-21.500000", reason: BalanceUpdateReason.WITHDRAWAL, reference: `withdraw:${tag}-stream-w` });
        const resumed = client.streamBalanceUpdates({ accountId: account, cursor: deposit.cursor }, { signal: abort.signal })[Symbol.asyncIterator]();
        expect((await resumed.next()).value!.cursor).toBe(deposit.cursor);
        expect((await resumed.next()).value!).toEqual(withdrawal);
      } finally {
        abort.abort();
      }
      const bad = client.streamBalanceUpdates({ accountId: account, cursor: "12:x" })[Symbol.asyncIterator]();
      const error = await errorOf(bad.next());
      expect(error.code).toBe(Code.InvalidArgument);
    });

    it("keeps a withdrawal allow-list: only listed addresses (and memos) receive, changing it needs MFA when the account has it", async () => {
      const account = `${tag}-allow`;
      await parts.wallet.creditDeposit(`${tag}-allow-fund`, account, "USDT", 1_000n * 10n ** 8n);
      expect(await client.getWithdrawalAllowList({ accountId: account })).toMatchObject({ enabled: false, entries: [] });
      const set = await client.setWithdrawalAllowList({ accountId: account, enabled: true, entries: [{ address: "T-mine" }, { address: "r-xrp", memo: "42" }] });
      expect(set.enabled).toBe(true);
      expect(set.entries.map((entry) => [entry.address, entry.memo])).toEqual([["T-mine", ""], ["r-xrp", "42"]]);
      expect((await client.getWithdrawalAllowList({ accountId: account })).entries).toHaveLength(2);

      const refused = await errorOf(client.requestWithdrawal({ withdrawalId: `${tag}-allow-w1`, accountId: account, asset: "USDT", network: "TRX", amount: "10", address: "T-thief" }));
      expect(refused.code).toBe(Code.InvalidArgument);
      expect((await parts.wallet.balances(account, ["USDT"]))[0]!.pending).toBe(0n);
      const sent = await client.requestWithdrawal({ withdrawalId: `${tag}-allow-w2`, accountId: account, asset: "USDT", network: "TRX", amount: "10", address: "T-mine" });
      expect(sent.withdrawal?.status).toBe(TransferStatus.COMPLETED);

      // Bad input changes nothing.
      const tooLong = await errorOf(client.setWithdrawalAllowList({ accountId: account, enabled: true, entries: [{ address: "x".repeat(129) }] }));
      expect(tooLong.code).toBe(Code.InvalidArgument);
      // With MFA on, a change needs the code; without it nothing changes.
      (parts.mfa as EmbeddedMfaVerifier).enable(account, "JBSWY3DPEHPK3PXP");
      const noCode = await errorOf(client.setWithdrawalAllowList({ accountId: account, enabled: false, entries: [] }));
      expect(noCode.code).toBe(Code.PermissionDenied);
      expect(await client.getWithdrawalAllowList({ accountId: account })).toMatchObject({ enabled: true });
    });
  });
}
