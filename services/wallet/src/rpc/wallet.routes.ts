import { createValidator } from "@bufbuild/protovalidate";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import type { AccountStatement } from "../domain/account-statement.use-case.js";
import type { ArchiveLedgerDay } from "../domain/archive-ledger-day.use-case.js";
import type { FollowBalanceUpdates } from "../domain/follow-balance-updates.use-case.js";
import type { VerifyLedgerArchive } from "../domain/verify-ledger-archive.use-case.js";
import { CreateHoldRequestSchema, SettleTradeRequestSchema, WalletService, type CreateHoldRequest, type SettleTradeRequest } from "#gen/exchange/wallet/v1/wallet_pb.js";
import type { HoldRequest } from "../domain/batch-holds.use-case.js";
import { isDomainError, type DomainError } from "#kit/errors/domain-error.js";
import { validationError } from "#kit/rpc/validate.interceptor.js";
import type { SettleTrade } from "../domain/ledger.js";
import type { Wallet } from "../domain/wallet.use-case.js";
import { invalidField } from "../domain/wallet.errors.js";
import {
  toAssetMessage,
  toBalanceMessage,
  toBalanceStreamMessage,
  toDepositMessage,
  toEntryMessage,
  toHoldMessage,
  toHoldResult,
  toSettledMessage,
  toSettlementResult,
  toSettleTrade,
  toTradeErrorResult,
  toUnits,
  toWithdrawalMessage,
} from "./wallet.mapper.js";

export interface WalletRoutesDeps {
  readonly wallet: Wallet;
  /** Archives and statements (SQL ledgers with an object store); Unimplemented without. */
  readonly archives?: {
    readonly archiveDay: ArchiveLedgerDay;
    readonly verify: VerifyLedgerArchive;
    readonly statement: AccountStatement;
  };
  /** StreamBalanceUpdates (SQL ledgers); Unimplemented without. */
  readonly balanceUpdates?: FollowBalanceUpdates;
}

const MAX_TIMEOUT_MS = 366n * 86_400_000n;

const page = (request?: { pageSize: number; pageToken: string }) => ({ size: request?.pageSize ?? 0, token: request?.pageToken ?? "" });

/** wallet.v1 over the use cases: proto <-> domain, nothing else. Domain errors map through the kit's table. */
export function walletRoutes(deps: WalletRoutesDeps) {
  const { wallet } = deps;
  const assets = wallet.assets;
  const validator = createValidator();
  /**
   * One trade of a batch, checked here against SettleTradeRequest's rules (the request's own
   * check leaves the items alone) and parsed: a bad one is its error, failing alone.
   */
  const tradeOf = (request: SettleTradeRequest): SettleTrade | DomainError => {
    const invalid = validationError(validator, SettleTradeRequestSchema, request, "trade");
    if (invalid) return invalid;
    try {
      return toSettleTrade(assets, request);
    } catch (error) {
      if (isDomainError(error)) return error;
      throw error;
    }
  };
  /** One hold of a batch, checked here against CreateHoldRequest's rules and parsed: a bad one is its error, failing alone. */
  const holdOf = (request: CreateHoldRequest): HoldRequest | DomainError => {
    const invalid = validationError(validator, CreateHoldRequestSchema, request, "hold");
    if (invalid) return invalid;
    try {
      if (request.timeoutMs > MAX_TIMEOUT_MS) throw invalidField("timeout_ms", "at most one year");
      return { holdId: request.holdId, account: request.accountId, asset: request.asset, amount: toUnits(assets, request.asset, request.amount, "amount"), timeoutMs: Number(request.timeoutMs) };
    } catch (error) {
      if (isDomainError(error)) return error;
      throw error;
    }
  };
  return (router: ConnectRouter) =>
    router.service(WalletService, {
      async listAssets() {
        return { assets: assets.assets.map(toAssetMessage) };
      },
      async getBalances(request) {
        const rows = await wallet.balances(request.accountId, request.assets);
        return { balances: rows.map((row) => toBalanceMessage(assets, row)) };
      },
      async createHold(request) {
        if (request.timeoutMs > MAX_TIMEOUT_MS) throw invalidField("timeout_ms", "at most one year");
        const hold = await wallet.createHold({
          holdId: request.holdId,
          account: request.accountId,
          asset: request.asset,
          amount: toUnits(assets, request.asset, request.amount, "amount"),
          timeoutMs: Number(request.timeoutMs),
        });
        return { hold: toHoldMessage(assets, hold) };
      },
      async createHolds(request) {
        const parsed = request.holds.map(holdOf);
        const taken = await wallet.batchHolds.take(parsed.filter((hold): hold is HoldRequest => !isDomainError(hold)));
        let next = 0;
        return { results: parsed.map((hold) => toHoldResult(isDomainError(hold) ? { ok: false, error: hold } : taken[next++]!)) };
      },
      async voidHold(request) {
        return { hold: toHoldMessage(assets, await wallet.voidHold(request.holdId)) };
      },
      async moveHold(request) {
        const { asset } = await wallet.hold(request.holdId);
        const { hold, to } = await wallet.moveHold(request.holdId, request.toHoldId, toUnits(assets, asset, request.amount, "amount"));
        return { hold: toHoldMessage(assets, hold), to: toHoldMessage(assets, to) };
      },
      async reduceHold(request) {
        const { asset } = await wallet.hold(request.holdId);
        return { hold: toHoldMessage(assets, await wallet.reduceHold(request.holdId, request.requestId, toUnits(assets, asset, request.amount, "amount"))) };
      },
      async settleTrade(request) {
        const trade = toSettleTrade(assets, request);
        return toSettledMessage(assets, trade, await wallet.settleTrade(trade));
      },
      async settleTrades(request) {
        const parsed = request.trades.map(tradeOf);
        // A trade refused here fails like one the ledger refused: nothing is voided.
        const valid = parsed.filter((trade): trade is SettleTrade => !isDomainError(trade));
        const { settlements, voids } = await wallet.settleTradesThenVoid(valid, valid.length === parsed.length ? request.voidHoldIds : []);
        let next = 0;
        return {
          results: parsed.map((trade) => (isDomainError(trade) ? toTradeErrorResult(trade) : toSettlementResult(assets, trade, settlements[next++]!))),
          voids: valid.length === parsed.length ? (voids ?? []).map(toHoldResult) : [],
        };
      },
      async transfer(request) {
        const executed = await wallet.transfer({
          transferId: request.transferId,
          from: request.fromAccountId,
          to: request.toAccountId,
          asset: request.asset,
          amount: toUnits(assets, request.asset, request.amount, "amount"),
        });
        return { duplicate: executed.duplicate };
      },
      async getDepositAddress(request) {
        const { address, memo } = await wallet.depositAddress(request.accountId, request.asset, request.network);
        return { address, memo };
      },
      async listDeposits(request) {
        const found = await wallet.listDeposits(request.accountId, page(request.page));
        return { deposits: found.items.map((deposit) => toDepositMessage(assets, deposit)), page: { nextPageToken: found.next } };
      },
      async requestWithdrawal(request) {
        const withdrawal = await wallet.requestWithdrawal({
          withdrawalId: request.withdrawalId,
          account: request.accountId,
          asset: request.asset,
          network: request.network,
          amount: toUnits(assets, request.asset, request.amount, "amount"),
          address: request.address,
          memo: request.memo,
          totpCode: request.totpCode,
        });
        return { withdrawal: toWithdrawalMessage(assets, withdrawal) };
      },
      async approveWithdrawal(request) {
        return { withdrawal: toWithdrawalMessage(assets, await wallet.approveWithdrawal(request.withdrawalId)) };
      },
      async rejectWithdrawal(request) {
        return { withdrawal: toWithdrawalMessage(assets, await wallet.rejectWithdrawal(request.withdrawalId, request.reason)) };
      },
      async listWithdrawals(request) {
        const found = await wallet.listWithdrawals(request.accountId, page(request.page));
        return { withdrawals: found.items.map((withdrawal) => toWithdrawalMessage(assets, withdrawal)), page: { nextPageToken: found.next } };
      },
      async setWithdrawalAllowList(request) {
        const entries = request.entries.map((entry) => ({ address: entry.address, memo: entry.memo }));
        const list = await wallet.updateAllowList({ account: request.accountId, enabled: request.enabled, entries, totpCode: request.totpCode });
        return { enabled: list.enabled, entries: [...list.entries] };
      },
      async getFeeRates(request) {
        return await wallet.feeRates(request.accountId);
      },
      async getWithdrawalAllowList(request) {
        const list = await wallet.allowList(request.accountId);
        return { enabled: list.enabled, entries: [...list.entries] };
      },
      async listWithdrawalApprovals(request) {
        const found = await wallet.listWithdrawalApprovals(page(request.page));
        return { withdrawals: found.items.map((withdrawal) => toWithdrawalMessage(assets, withdrawal)), page: { nextPageToken: found.next } };
      },
      async requestAccountStatement(request) {
        const statement = await archivesOf(deps).statement.execute(request.accountId, request.month);
        return { url: statement.url, expiresAt: BigInt(statement.expiresAt), entries: statement.entries };
      },
      async archiveLedgerDay(request) {
        const written = await archivesOf(deps).archiveDay.execute(request.date);
        return { key: written.key, rows: written.rows, sha256: written.sha256 };
      },
      async verifyLedgerArchive(request) {
        const check = await archivesOf(deps).verify.execute(request.date);
        const d = check.firstDifference;
        const difference = d ? `row ${d.index}: archived ${JSON.stringify(d.archived ?? null, big)} != ledger ${JSON.stringify(d.database ?? null, big)}` : "";
        return { equal: check.equal, archived: check.archived, archivedRows: check.archivedRows, databaseRows: check.databaseRows, difference };
      },
      async creditAccount(request) {
        const credited = await wallet.creditAccount({
          creditId: request.creditId,
          account: request.accountId,
          asset: request.asset,
          amount: toUnits(assets, request.asset, request.amount, "amount"),
          reason: request.reason,
        });
        return { deposit: toDepositMessage(assets, credited.deposit), duplicate: credited.duplicate };
      },
      async listLedgerEntries(request) {
        const found = await wallet.entries(request.accountId, request.asset, page(request.page));
        return { entries: found.items.map((entry) => toEntryMessage(assets, entry)), page: { nextPageToken: found.next } };
      },
      async *streamBalanceUpdates(request, context) {
        if (!deps.balanceUpdates) throw new ConnectError("StreamBalanceUpdates needs a SQL ledger", Code.Unimplemented);
        for await (const message of deps.balanceUpdates.follow(request.accountId, request.cursor, context.signal)) yield toBalanceStreamMessage(assets, message);
      },
    });
}

function archivesOf(deps: WalletRoutesDeps): NonNullable<WalletRoutesDeps["archives"]> {
  if (!deps.archives) throw new ConnectError("archives and statements need a SQL ledger", Code.Unimplemented);
  return deps.archives;
}

const big = (_key: string, value: unknown) => (typeof value === "bigint" ? value.toString() : value);
