import type { Clock } from "#kit/clock/clock.js";
import type { ChainGateway } from "../ports/chain-gateway.port.js";
import type { FeeTierSource } from "../ports/fee-tier.port.js";
import type { LedgerStore, PageRequest } from "../ports/ledger-store.port.js";
import type { MfaVerifier } from "../ports/mfa-verifier.port.js";
import { type AssetRegistry, type AssetSpec, type NetworkSpec } from "./assets.js";
import type { CommandExecutor } from "./command-batcher.js";
import { FeeSchedule, type FeeTier } from "./fees.js";
import {
  docIds,
  makeCommand,
  type BalanceRow,
  type CommandBody,
  type DepositDoc,
  type HoldDoc,
  type LedgerEntry,
  type Page,
  type SettleTrade,
  type WithdrawalDoc,
} from "./ledger.js";
import { addressKey, splitAddressKey } from "./plan.js";
import { BatchHolds, type HoldOutcome } from "./batch-holds.use-case.js";
import { requireAmount, requireUserAccount } from "./request-checks.js";
import { Holds } from "./holds.use-case.js";
import { SendWithdrawal } from "./send-withdrawal.use-case.js";
import { SettleTrades, type TradeSettlement } from "./settle-trades.use-case.js";
import { invalidField, mfaRequired, notFound, withdrawalsLocked } from "./wallet.errors.js";

export interface WalletDeps {
  readonly store: LedgerStore;
  /** Where commands go: the store itself, or a group-commit batcher in front of it. */
  readonly executor: CommandExecutor;
  readonly assets: AssetRegistry;
  readonly clock: Clock;
  readonly chain: ChainGateway;
  readonly mfa: MfaVerifier;
  readonly tiers: FeeTierSource;
  readonly fees?: FeeSchedule;
}

export interface AllowList {
  readonly enabled: boolean;
  readonly entries: readonly { address: string; memo: string }[];
}

export type { TradeSettlement } from "./settle-trades.use-case.js";

export interface Executed {
  readonly duplicate: boolean;
  readonly result: Readonly<Record<string, string>>;
}

/** The wallet's use cases. Amounts are bigint in each asset's smallest unit. */
export class Wallet {
  private readonly fees: FeeSchedule;
  private readonly sending: SendWithdrawal;
  private readonly holds: Holds;
  private readonly settling: SettleTrades;
  /** Holds taken and voided by the batch (an order group's). */
  readonly batchHolds: BatchHolds;

  constructor(private readonly deps: WalletDeps) {
    this.fees = deps.fees ?? new FeeSchedule();
    this.batchHolds = new BatchHolds({ executor: deps.executor, assets: deps.assets, clock: deps.clock });
    this.settling = new SettleTrades({ executor: deps.executor, assets: deps.assets, clock: deps.clock, tiers: deps.tiers, fees: this.fees, holds: this.batchHolds });
    this.sending = new SendWithdrawal({ wallet: this, store: deps.store, chain: deps.chain, security: deps.mfa, clock: deps.clock });
    this.holds = new Holds({ wallet: this, store: deps.store, executor: deps.executor, assets: deps.assets, clock: deps.clock });
  }

  get assets(): AssetRegistry {
    return this.deps.assets;
  }

  get store(): LedgerStore {
    return this.deps.store;
  }

  /** Runs one command through the executor; an expected failure is thrown as its DomainError. */
  async run(id: string, body: CommandBody): Promise<Executed> {
    const command = makeCommand(id, this.deps.clock.now(), body);
    const executor = this.deps.executor;
    // One command: straight into the batcher's queue when there is one (no array, no Promise.all).
    const outcome = executor.submit ? await executor.submit(command) : (await executor.execute([command]))[0]!;
    if (!outcome.ok) throw outcome.error;
    return { duplicate: outcome.duplicate, result: outcome.result };
  }

  // ------------------------------------------------------------ balances and holds

  async balances(account: string, assets: readonly string[] = []): Promise<BalanceRow[]> {
    const rows = await this.deps.store.balances(account);
    return assets.length === 0 ? rows : rows.filter((row) => assets.includes(row.asset));
  }

  createHold(request: { holdId: string; account: string; asset: string; amount: bigint; timeoutMs: number }): Promise<HoldDoc> {
    return this.holds.create(request);
  }

  voidHold(holdId: string): Promise<HoldDoc> {
    return this.holds.void(holdId);
  }

  /** Ends a hold, handing `amount` of what remains to another hold of the same account and asset (Holds.move). */
  moveHold(holdId: string, toHoldId: string, amount: bigint): Promise<{ hold: HoldDoc; to: HoldDoc }> {
    return this.holds.move(holdId, toHoldId, amount);
  }

  /** Releases `amount` of a pending hold (an order reduced in place); the rest stays held. */
  reduceHold(holdId: string, requestId: string, amount: bigint): Promise<HoldDoc> {
    return this.holds.reduce(holdId, requestId, amount);
  }

  hold(holdId: string): Promise<HoldDoc> {
    return this.holds.get(holdId);
  }

  /** Voids every pending hold whose timeout has passed on the ledger's clock. Returns how many. */
  expireHolds(limit = 1000): Promise<number> {
    return this.holds.expire(limit);
  }

  // ------------------------------------------------------------ trades and transfers

  /** The account's fee tier and its maker / taker rates in basis points, as settlements charge them. */
  async feeRates(account: string): Promise<FeeTier> {
    requireUserAccount(account, "account_id");
    return this.fees.rates(await this.deps.tiers.tier(account));
  }

  settleTrade(trade: SettleTrade): Promise<{ buyerFee: bigint; sellerFee: bigint; duplicate: boolean }> {
    return this.settling.one(trade);
  }

  /** See SettleTrades.many. */
  settleTrades(trades: readonly SettleTrade[]): Promise<TradeSettlement[]> {
    return this.settling.many(trades);
  }

  /** See SettleTrades.manyThenVoid. */
  settleTradesThenVoid(trades: readonly SettleTrade[], voidHoldIds: readonly string[]): Promise<{ settlements: TradeSettlement[]; voids: HoldOutcome[] | undefined }> {
    return this.settling.manyThenVoid(trades, voidHoldIds);
  }

  async transfer(request: { transferId: string; from: string; to: string; asset: string; amount: bigint }): Promise<Executed> {
    this.requireAsset(request.asset, "asset");
    requireUserAccount(request.from, "from_account_id");
    requireUserAccount(request.to, "to_account_id");
    if (request.from === request.to) throw invalidField("to_account_id", "must differ from from_account_id");
    requireAmount(request.amount, "amount");
    return this.run(request.transferId, { kind: "transfer", from: request.from, to: request.to, asset: request.asset, amount: request.amount });
  }

  entries(account: string, asset: string, page: PageRequest): Promise<Page<LedgerEntry>> {
    return this.deps.store.entries(account, asset, page);
  }

  // ------------------------------------------------------------ deposits

  async depositAddress(account: string, asset: string, network: string): Promise<{ address: string; memo: string; network: string }> {
    requireUserAccount(account, "account_id");
    const spec = this.requireNetwork(asset, network);
    const { address, memo } = await this.deps.chain.depositAddress(spec.network, account);
    await this.run(`address:${spec.network}:${account}`, { kind: "register_address", account, network: spec.network, address, memo });
    return { address, memo, network: spec.network };
  }

  /**
   * Credits a deposit directly (an operator's credit, or a test's funding): a deposit on the
   * "internal" network with nothing to confirm. Idempotent by id.
   */
  async creditDeposit(id: string, account: string, asset: string, amount: bigint): Promise<Executed> {
    this.requireAsset(asset, "asset");
    requireAmount(amount, "amount");
    return this.run(`deposit:internal:${id}`, { kind: "deposit", depositId: id, account, asset, network: "internal", amount, txId: id, confirmations: 0, required: 0 });
  }

  /**
   * An operator's credit to a user account: creditDeposit with the reason recorded on its deposit
   * (network "internal", listed among the account's deposits). Idempotent by `creditId`: a retry
   * with the same content answers duplicate and changes nothing; the same id with another
   * account, asset, amount or reason fails DUPLICATE_REQUEST (the command's fingerprint).
   */
  async creditAccount(request: { creditId: string; account: string; asset: string; amount: bigint; reason: string }): Promise<{ deposit: DepositDoc; duplicate: boolean }> {
    requireUserAccount(request.account, "account_id");
    this.requireAsset(request.asset, "asset");
    requireAmount(request.amount, "amount");
    if (request.creditId === "") throw invalidField("credit_id", "required");
    if (request.reason.trim() === "") throw invalidField("reason", "required");
    const { creditId, account, asset, amount, reason } = request;
    const executed = await this.run(`deposit:internal:${creditId}`, {
      kind: "deposit",
      depositId: creditId,
      account,
      asset,
      network: "internal",
      amount,
      txId: creditId,
      confirmations: 0,
      required: 0,
      reason,
    });
    const found = await this.deps.store.doc(docIds.deposit("internal", creditId));
    if (!found || found.doc.type !== "deposit") throw notFound("deposit", creditId);
    return { deposit: found.doc, duplicate: executed.duplicate };
  }

  /** Reads the chain: records pending deposits and credits those with enough confirmations. */
  async syncDeposits(): Promise<{ credited: number; pending: number }> {
    let credited = 0;
    let pending = 0;
    for (const seen of await this.deps.chain.observedDeposits()) {
      const spec = this.deps.assets.network(seen.asset, seen.network);
      if (!spec) continue;
      const owner = await this.deps.store.doc(docIds.address(seen.network, seen.address, seen.memo));
      if (!owner || owner.doc.type !== "address") continue;
      const known = await this.deps.store.doc(docIds.deposit(seen.network, seen.txId));
      if (known?.doc.type === "deposit" && (known.doc.status === "completed" || known.doc.confirmations >= seen.confirmations)) continue;
      const confirmations = Math.min(seen.confirmations, spec.confirmations);
      const executed = await this.run(`deposit:${seen.network}:${seen.txId}:${confirmations}`, {
        kind: "deposit",
        depositId: seen.txId,
        account: owner.doc.account,
        asset: seen.asset,
        network: seen.network,
        amount: seen.amount,
        txId: seen.txId,
        confirmations,
        required: spec.confirmations,
      });
      if (executed.result.status === "completed") credited += 1;
      else pending += 1;
    }
    return { credited, pending };
  }

  async listDeposits(account: string, page: PageRequest): Promise<Page<DepositDoc>> {
    return (await this.deps.store.listDocs(account, "deposit", page)) as Page<DepositDoc>;
  }

  // ------------------------------------------------------------ withdrawals

  async setAllowList(account: string, enabled: boolean, entries: readonly { address: string; memo: string }[]): Promise<void> {
    requireUserAccount(account, "account_id");
    const addresses = entries.map((entry) => addressKey(entry.address, entry.memo)).sort();
    await this.run(`allowlist:${account}:${this.deps.clock.now()}:${addresses.join(",")}:${enabled}`, { kind: "set_allowlist", account, enabled, addresses });
  }

  /**
   * setAllowList on a user's behalf: refused while auth's withdrawal lock holds, and the account's
   * TOTP code is required when it has MFA.
   */
  async updateAllowList(request: { account: string; enabled: boolean; entries: readonly { address: string; memo: string }[]; totpCode: string }): Promise<AllowList> {
    requireUserAccount(request.account, "account_id");
    await this.requireSecondFactor(request.account, request.totpCode);
    await this.setAllowList(request.account, request.enabled, request.entries);
    return this.allowList(request.account);
  }

  /**
   * A user's sensitive action (a withdrawal, an allow-list change), asked of auth once: refused
   * while the account's withdrawal lock (after a password, MFA or API-key change) runs past the
   * ledger's clock, checked before the code so a locked attempt spends no recovery code; an
   * account with MFA needs its current code, one without passes.
   */
  private async requireSecondFactor(account: string, totpCode: string): Promise<void> {
    const { mfaEnabled, withdrawalLockedUntil } = await this.deps.mfa.security(account);
    if (withdrawalLockedUntil > this.deps.clock.now()) throw withdrawalsLocked(withdrawalLockedUntil);
    if (!mfaEnabled) return;
    if (totpCode === "") throw mfaRequired("Two-factor authentication code required.");
    if ((await this.deps.mfa.verify(account, totpCode)) === "invalid") throw mfaRequired("Invalid two-factor authentication code.");
  }

  /** The account's withdrawal allow-list; an account that never set one has it disabled and empty. */
  async allowList(account: string): Promise<AllowList> {
    requireUserAccount(account, "account_id");
    const found = await this.deps.store.doc(docIds.allowList(account));
    if (!found || found.doc.type !== "allowlist") return { enabled: false, entries: [] };
    return { enabled: found.doc.enabled, entries: found.doc.addresses.map(splitAddressKey) };
  }

  async requestWithdrawal(request: {
    withdrawalId: string;
    account: string;
    asset: string;
    network: string;
    amount: bigint;
    address: string;
    memo: string;
    totpCode: string;
  }): Promise<WithdrawalDoc> {
    requireUserAccount(request.account, "account_id");
    const asset = this.requireAsset(request.asset, "asset");
    const network = this.requireNetwork(request.asset, request.network);
    requireAmount(request.amount, "amount");
    if (request.amount < network.withdrawMin) throw invalidField("amount", `below the minimum withdrawal ${network.withdrawMin} on ${network.network}`);
    if (request.amount <= network.withdrawFee) throw invalidField("amount", `must exceed the network fee ${network.withdrawFee}`);
    if (network.memoRequired && request.memo === "") throw invalidField("memo", `a memo is required on ${network.network}`);
    await this.requireSecondFactor(request.account, request.totpCode);
    const executed = await this.run(`withdraw:${request.withdrawalId}`, {
      kind: "withdraw_request",
      withdrawalId: request.withdrawalId,
      account: request.account,
      asset: request.asset,
      network: network.network,
      amount: request.amount,
      fee: network.withdrawFee,
      address: request.address,
      memo: request.memo,
      dailyLimit: asset.dailyWithdrawLimit,
      approvalThreshold: asset.approvalThreshold,
    });
    if (executed.result.status === "pending") return this.processWithdrawal(request.withdrawalId);
    return this.withdrawal(request.withdrawalId);
  }

  async approveWithdrawal(withdrawalId: string): Promise<WithdrawalDoc> {
    return this.sending.approve(withdrawalId);
  }

  async rejectWithdrawal(withdrawalId: string, reason: string): Promise<WithdrawalDoc> {
    await this.run(`withdraw-reject:${withdrawalId}`, { kind: "withdraw_reject", withdrawalId, reason });
    return this.withdrawal(withdrawalId);
  }

  /** Broadcasts a pending withdrawal and completes it in the ledger (SendWithdrawal). */
  processWithdrawal(withdrawalId: string): Promise<WithdrawalDoc> {
    return this.sending.process(withdrawalId);
  }

  /** Drives again the withdrawals left pending for longer than `graceMs` (SendWithdrawal); how many completed. */
  resumeWithdrawals(graceMs = 30_000, limit = 100): Promise<number> {
    return this.sending.resume(graceMs, limit);
  }

  async withdrawal(withdrawalId: string): Promise<WithdrawalDoc> {
    const found = await this.deps.store.doc(docIds.withdrawal(withdrawalId));
    if (!found || found.doc.type !== "withdrawal") throw notFound("withdrawal", withdrawalId);
    return found.doc;
  }

  async listWithdrawals(account: string, page: PageRequest): Promise<Page<WithdrawalDoc>> {
    return (await this.deps.store.listDocs(account, "withdrawal", page)) as Page<WithdrawalDoc>;
  }

  /** The approval queue: withdrawals awaiting approval, every account, oldest first. */
  listWithdrawalApprovals(page: PageRequest): Promise<Page<WithdrawalDoc>> {
    return this.deps.store.awaitingApproval(page);
  }

  // ------------------------------------------------------------ checks

  private requireAsset(asset: string, field: string): AssetSpec {
    const spec = this.deps.assets.get(asset);
    if (!spec) throw invalidField(field, `unknown asset ${asset}`);
    return spec;
  }

  private requireNetwork(asset: string, network: string): NetworkSpec {
    this.requireAsset(asset, "asset");
    const spec = this.deps.assets.network(asset, network);
    if (!spec) throw invalidField("network", `${asset} does not move on network ${network}`);
    return spec;
  }
}

