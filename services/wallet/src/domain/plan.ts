import { DomainError } from "#kit/errors/domain-error.js";
import { feeFor } from "./fees.js";
import {
  ADJUSTMENT_ACCOUNT,
  EXTERNAL_ACCOUNT,
  FEE_ACCOUNT,
  balanceKey,
  docIds,
  isExternal,
  type Balance,
  type Command,
  type CommandBody,
  type Delta,
  type Doc,
  type Effects,
  type HoldDoc,
  type LimitDoc,
  type AdjustmentDoc,
  type Units,
  type WithdrawalDoc,
} from "./ledger.js";
import { adjustmentNotPending, duplicateRequest, holdNotPending, insufficientBalance, invalidField, notFound, ownAdjustment, withdrawalNotInState } from "./wallet.errors.js";

/** What planning may read: balances and documents as of now (a store's snapshot). */
export interface LedgerView {
  balance(account: string, asset: string): Balance;
  doc(id: string): Doc | undefined;
}

export const DAY_MS = 86_400_000;

class EffectsBuilder {
  readonly deltas = new Map<string, Delta>();
  readonly docs = new Map<string, Doc>();
  result: Record<string, string> = {};

  constructor(private readonly view: LedgerView) {}

  /** Adds to one balance's delta (positional: no object per call on the settlement path). */
  move(account: string, asset: string, available: Units, locked: Units = 0n, pending: Units = 0n): void {
    const key = balanceKey(account, asset);
    const delta = this.deltas.get(key);
    if (!delta) {
      this.deltas.set(key, { account, asset, available, locked, pending });
      return;
    }
    delta.available += available;
    delta.locked += locked;
    delta.pending += pending;
  }

  /** The document as this command has left it so far. */
  doc(id: string): Doc | undefined {
    return this.docs.get(id) ?? this.view.doc(id);
  }

  put(doc: Doc): void {
    this.docs.set(doc.id, doc);
  }

  finish(): Effects {
    const totals = new Map<string, Units>();
    for (const [key, delta] of this.deltas) {
      if (delta.available === 0n && delta.locked === 0n && delta.pending === 0n) {
        this.deltas.delete(key);
        continue;
      }
      totals.set(delta.asset, (totals.get(delta.asset) ?? 0n) + delta.available + delta.locked + delta.pending);
    }
    for (const [asset, total] of totals) {
      // Double entry: a transfer that creates or destroys money is a bug, never a user error.
      if (total !== 0n) throw new Error(`unbalanced transfer in ${asset}: ${total}`);
    }
    // Read every balance before judging any, so a store learns all it must load in one round.
    const deltas: Delta[] = [];
    const befores: Balance[] = [];
    for (const delta of this.deltas.values()) {
      if (isExternal(delta.account)) continue;
      deltas.push(delta);
      befores.push(this.view.balance(delta.account, delta.asset));
    }
    for (let index = 0; index < deltas.length; index += 1) {
      const delta = deltas[index]!;
      const before = befores[index]!;
      if (before.available + delta.available < 0n) throw insufficientBalance(delta.asset, "available");
      if (before.locked + delta.locked < 0n) throw insufficientBalance(delta.asset, "locked");
      if (before.pending + delta.pending < 0n) throw insufficientBalance(delta.asset, "pending");
    }
    return { deltas: this.deltas, docs: [...this.docs.values()], result: this.result };
  }
}

function payFromHold(effects: EffectsBuilder, holdId: string, account: string, asset: string, amount: Units, now: number, field: string): void {
  const hold = effects.doc(docIds.hold(holdId));
  if (!hold || hold.type !== "hold") throw notFound("hold", holdId);
  if (hold.account !== account || hold.asset !== asset) {
    throw invalidField(field, `hold ${holdId} belongs to ${hold.account} in ${hold.asset}, not ${account} in ${asset}`);
  }
  if (hold.state !== "pending") throw holdNotPending(holdId, hold.state);
  if (hold.expiresAt > 0 && now >= hold.expiresAt) throw holdNotPending(holdId, "expired");
  if (hold.remaining < amount) throw insufficientBalance(asset, "hold");
  effects.put({ ...hold, remaining: hold.remaining - amount, settled: hold.settled + amount });
  effects.move(account, asset, 0n, -amount);
}

/**
 * Adds `amount` of the ending hold `from` to the pending hold `toId` (same account and asset): both amounts stay
 * locked, so no balance changes. Answers the amount moved.
 */
function moveInto(effects: EffectsBuilder, from: HoldDoc, toId: string, amount: Units, now: number): Units {
  const id = docIds.hold(toId);
  if (id === from.id) throw invalidField("to_hold_id", "must be another hold");
  const to = effects.doc(id);
  if (!to || to.type !== "hold") throw invalidField("to_hold_id", `hold ${toId} does not exist`);
  if (to.account !== from.account || to.asset !== from.asset) throw invalidField("to_hold_id", `hold ${toId} belongs to ${to.account} in ${to.asset}, not ${from.account} in ${from.asset}`);
  if (to.state !== "pending" || (to.expiresAt > 0 && now >= to.expiresAt)) throw invalidField("to_hold_id", `hold ${toId} is not pending`);
  if (amount <= 0n) throw invalidField("amount", "must be greater than zero");
  if (amount > from.remaining) throw insufficientBalance(from.asset, "hold");
  effects.put({ ...to, amount: to.amount + amount, remaining: to.remaining + amount });
  return amount;
}

function planBody(effects: EffectsBuilder, body: CommandBody, command: Command): void {
  const now = command.time;
  switch (body.kind) {
    case "deposit": {
      const id = docIds.deposit(body.network, body.txId);
      const existing = effects.doc(id);
      if (existing && existing.type !== "deposit") throw new Error(`document ${id} is a ${existing.type}`);
      if (existing && (existing.account !== body.account || existing.amount !== body.amount || existing.asset !== body.asset)) {
        throw duplicateRequest(id);
      }
      if (existing?.status === "completed") {
        effects.result = { status: "completed" };
        return;
      }
      const credited = body.confirmations >= body.required;
      effects.put({
        type: "deposit",
        id,
        account: body.account,
        asset: body.asset,
        network: body.network,
        amount: body.amount,
        txId: body.txId,
        confirmations: Math.max(body.confirmations, existing?.confirmations ?? 0),
        status: credited ? "completed" : "pending",
        createdAt: existing?.createdAt ?? now,
        ...(body.reason === undefined ? {} : { reason: body.reason }),
      });
      if (credited) {
        effects.move(body.account, body.asset, body.amount);
        effects.move(EXTERNAL_ACCOUNT, body.asset, -body.amount);
      }
      effects.result = { status: credited ? "completed" : "pending" };
      return;
    }
    case "hold": {
      const id = docIds.hold(body.holdId);
      if (effects.doc(id)) throw duplicateRequest(body.holdId);
      effects.move(body.account, body.asset, -body.amount, body.amount);
      effects.put({
        type: "hold",
        id,
        account: body.account,
        asset: body.asset,
        amount: body.amount,
        remaining: body.amount,
        settled: 0n,
        state: "pending",
        expiresAt: body.timeoutMs > 0 ? now + body.timeoutMs : 0,
        createdAt: now,
      });
      return;
    }
    case "void": {
      const hold = effects.doc(docIds.hold(body.holdId));
      if (!hold || hold.type !== "hold") throw notFound("hold", body.holdId);
      if (hold.state !== "pending") throw holdNotPending(body.holdId, hold.state);
      if (body.expire && !(hold.expiresAt > 0 && now >= hold.expiresAt)) throw holdNotPending(body.holdId, "not yet due");
      const moved = body.moveTo ? moveInto(effects, hold, body.moveTo.holdId, body.moveTo.amount, now) : 0n;
      const released = hold.remaining - moved;
      effects.move(hold.account, hold.asset, released, -released);
      const state: HoldDoc["state"] = body.expire ? "expired" : hold.settled > 0n ? "posted" : "voided";
      effects.put({ ...hold, remaining: 0n, state });
      effects.result = body.moveTo ? { released: released.toString(), moved: moved.toString(), state } : { released: released.toString(), state };
      return;
    }
    case "reduce": {
      const hold = effects.doc(docIds.hold(body.holdId));
      if (!hold || hold.type !== "hold") throw notFound("hold", body.holdId);
      if (hold.state !== "pending") throw holdNotPending(body.holdId, hold.state);
      if (body.amount > hold.remaining) throw invalidField("amount", `hold ${body.holdId} has ${hold.remaining} left, less than ${body.amount}`);
      effects.move(hold.account, hold.asset, body.amount, -body.amount);
      effects.put({ ...hold, remaining: hold.remaining - body.amount });
      effects.result = { released: body.amount.toString(), remaining: (hold.remaining - body.amount).toString() };
      return;
    }
    case "settle": {
      const trade = body.trade;
      // Ask for both holds up front (one read round for the store).
      if (trade.buyerHoldId !== "") effects.doc(docIds.hold(trade.buyerHoldId));
      if (trade.sellerHoldId !== "") effects.doc(docIds.hold(trade.sellerHoldId));
      if (trade.buyerHoldId !== "") payFromHold(effects, trade.buyerHoldId, trade.buyer, trade.quoteAsset, trade.quote, now, "buyer_hold_id");
      else effects.move(trade.buyer, trade.quoteAsset, -trade.quote);
      if (trade.sellerHoldId !== "") payFromHold(effects, trade.sellerHoldId, trade.seller, trade.baseAsset, trade.base, now, "seller_hold_id");
      else effects.move(trade.seller, trade.baseAsset, -trade.base);
      const buyerFee = feeFor(trade.base, body.buyerFeeBps);
      const sellerFee = feeFor(trade.quote, body.sellerFeeBps);
      effects.move(trade.buyer, trade.baseAsset, trade.base - buyerFee);
      effects.move(trade.seller, trade.quoteAsset, trade.quote - sellerFee);
      effects.move(FEE_ACCOUNT, trade.baseAsset, buyerFee);
      effects.move(FEE_ACCOUNT, trade.quoteAsset, sellerFee);
      effects.result = { buyerFee: buyerFee.toString(), sellerFee: sellerFee.toString() };
      return;
    }
    case "transfer": {
      if (isExternal(body.from) || isExternal(body.to)) throw invalidField("account_id", "the external account cannot take part in a transfer");
      effects.move(body.from, body.asset, -body.amount);
      effects.move(body.to, body.asset, body.amount);
      return;
    }
    case "withdraw_request": {
      const id = docIds.withdrawal(body.withdrawalId);
      if (effects.doc(id)) throw duplicateRequest(body.withdrawalId);
      const allow = effects.doc(docIds.allowList(body.account));
      if (allow?.type === "allowlist" && allow.enabled && !allow.addresses.includes(addressKey(body.address, body.memo))) {
        throw invalidField("address", "address is not on the account's withdrawal allow-list");
      }
      const day = Math.floor(now / DAY_MS);
      const limitId = docIds.limit(body.account, body.asset, day);
      const limit = effects.doc(limitId) as LimitDoc | undefined;
      const used = limit?.used ?? 0n;
      if (used + body.amount > body.dailyLimit) {
        throw invalidField("amount", `daily withdrawal limit exceeded: ${used} already requested today, limit ${body.dailyLimit}`);
      }
      effects.put({ type: "wlimit", id: limitId, account: body.account, used: used + body.amount, createdAt: limit?.createdAt ?? now });
      effects.move(body.account, body.asset, -body.amount, 0n, body.amount);
      const withdrawal: WithdrawalDoc = {
        type: "withdrawal",
        id,
        account: body.account,
        asset: body.asset,
        network: body.network,
        amount: body.amount,
        fee: body.fee,
        address: body.address,
        memo: body.memo,
        status: body.amount > body.approvalThreshold ? "awaiting_approval" : "pending",
        txId: "",
        reason: "",
        day,
        createdAt: now,
      };
      effects.put(withdrawal);
      effects.result = { status: withdrawal.status };
      return;
    }
    case "withdraw_approve": {
      const withdrawal = requireWithdrawal(effects, body.withdrawalId);
      if (withdrawal.status !== "awaiting_approval") throw withdrawalNotInState(body.withdrawalId, withdrawal.status, "awaiting_approval");
      effects.put({ ...withdrawal, status: "pending" });
      effects.result = { status: "pending" };
      return;
    }
    case "withdraw_complete": {
      const withdrawal = requireWithdrawal(effects, body.withdrawalId);
      if (withdrawal.status !== "pending") throw withdrawalNotInState(body.withdrawalId, withdrawal.status, "pending");
      effects.move(withdrawal.account, withdrawal.asset, 0n, 0n, -withdrawal.amount);
      effects.move(FEE_ACCOUNT, withdrawal.asset, withdrawal.fee);
      effects.move(EXTERNAL_ACCOUNT, withdrawal.asset, withdrawal.amount - withdrawal.fee);
      effects.put({ ...withdrawal, status: "completed", txId: body.txId });
      effects.result = { status: "completed" };
      return;
    }
    case "withdraw_reject": {
      const withdrawal = requireWithdrawal(effects, body.withdrawalId);
      if (withdrawal.status !== "pending" && withdrawal.status !== "awaiting_approval") {
        throw withdrawalNotInState(body.withdrawalId, withdrawal.status, "pending or awaiting_approval");
      }
      effects.move(withdrawal.account, withdrawal.asset, withdrawal.amount, 0n, -withdrawal.amount);
      const limitId = docIds.limit(withdrawal.account, withdrawal.asset, withdrawal.day);
      const limit = effects.doc(limitId);
      if (limit?.type === "wlimit") effects.put({ ...limit, used: limit.used >= withdrawal.amount ? limit.used - withdrawal.amount : 0n });
      effects.put({ ...withdrawal, status: "rejected", reason: body.reason });
      effects.result = { status: "rejected" };
      return;
    }
    case "register_address": {
      const id = docIds.address(body.network, body.address, body.memo);
      const existing = effects.doc(id);
      if (existing && existing.account !== body.account) throw new DomainError("ALREADY_EXISTS", `address ${body.address} belongs to another account`);
      if (!existing) effects.put({ type: "address", id, account: body.account, network: body.network, address: body.address, memo: body.memo, createdAt: now });
      return;
    }
    case "set_allowlist": {
      const id = docIds.allowList(body.account);
      const existing = effects.doc(id);
      effects.put({ type: "allowlist", id, account: body.account, enabled: body.enabled, addresses: [...body.addresses], createdAt: existing?.createdAt ?? now });
      return;
    }
    case "adjustment_request": {
      const id = docIds.adjustment(body.adjustmentId);
      if (effects.doc(id)) throw duplicateRequest(body.adjustmentId);
      if (body.amount === 0n) throw invalidField("amount", "must not be zero");
      effects.put({
        type: "adjustment",
        id,
        account: ADJUSTMENT_ACCOUNT,
        target: body.account,
        asset: body.asset,
        amount: body.amount,
        reason: body.reason,
        status: "pending",
        requestedBy: body.requestedBy,
        decidedBy: "",
        decidedAt: 0,
        decisionReason: "",
        createdAt: now,
      });
      effects.result = { status: "pending" };
      return;
    }
    case "adjustment": {
      const adjustment = requirePendingAdjustment(effects, body.adjustmentId);
      if (adjustment.target !== body.account || adjustment.asset !== body.asset || adjustment.amount !== body.amount) {
        throw invalidField("adjustment_id", `adjustment ${body.adjustmentId} changes ${adjustment.target} by ${adjustment.amount} ${adjustment.asset}`);
      }
      if (adjustment.requestedBy === body.approvedBy) throw ownAdjustment(body.adjustmentId);
      // Double entry against the adjustment account; finish() refuses a debit below zero available.
      effects.move(adjustment.target, adjustment.asset, adjustment.amount);
      effects.move(ADJUSTMENT_ACCOUNT, adjustment.asset, -adjustment.amount);
      effects.put({ ...adjustment, status: "applied", decidedBy: body.approvedBy, decidedAt: now, decisionReason: body.reason });
      effects.result = { status: "applied" };
      return;
    }
    case "adjustment_reject": {
      const adjustment = requirePendingAdjustment(effects, body.adjustmentId);
      effects.put({ ...adjustment, status: "rejected", decidedBy: body.rejectedBy, decidedAt: now, decisionReason: body.reason });
      effects.result = { status: "rejected" };
      return;
    }
  }
}

function requirePendingAdjustment(effects: EffectsBuilder, adjustmentId: string): AdjustmentDoc {
  const doc = effects.doc(docIds.adjustment(adjustmentId));
  if (!doc || doc.type !== "adjustment") throw notFound("adjustment", adjustmentId);
  if (doc.status !== "pending") throw adjustmentNotPending(adjustmentId, doc.status);
  return doc;
}

/** An allow-list entry: the address, and the memo when the network needs one. */
export const addressKey = (address: string, memo: string): string => (memo === "" ? address : `${address}#${memo}`);

/** The inverse of addressKey (addresses on the supported networks contain no '#'). */
export function splitAddressKey(key: string): { address: string; memo: string } {
  const at = key.indexOf("#");
  return at < 0 ? { address: key, memo: "" } : { address: key.slice(0, at), memo: key.slice(at + 1) };
}

function requireWithdrawal(effects: EffectsBuilder, withdrawalId: string): WithdrawalDoc {
  const doc = effects.doc(docIds.withdrawal(withdrawalId));
  if (!doc || doc.type !== "withdrawal") throw notFound("withdrawal", withdrawalId);
  return doc;
}

/** Where `declareReads` reports what a command will read. */
export interface ReadSink {
  balance(account: string, asset: string): void;
  doc(id: string): void;
  /** A hold, by the hold's id (else reported through doc()). */
  hold?(holdId: string): void;
}

/**
 * Reports what planning `command` will read, when that is known without reading anything first
 * (a store loads it for a whole batch in one round), and returns true; false when a read depends
 * on another (a void reads its hold, then the hold's balance). A superset is harmless; anything
 * missed is still loaded on demand.
 */
export function declareReads(command: Command, sink: ReadSink): boolean {
  const body = command.body;
  switch (body.kind) {
    case "settle": {
      const trade = body.trade;
      if (sink.hold) {
        if (trade.buyerHoldId !== "") sink.hold(trade.buyerHoldId);
        if (trade.sellerHoldId !== "") sink.hold(trade.sellerHoldId);
      } else {
        if (trade.buyerHoldId !== "") sink.doc(docIds.hold(trade.buyerHoldId));
        if (trade.sellerHoldId !== "") sink.doc(docIds.hold(trade.sellerHoldId));
      }
      sink.balance(trade.buyer, trade.quoteAsset);
      sink.balance(trade.buyer, trade.baseAsset);
      sink.balance(trade.seller, trade.baseAsset);
      sink.balance(trade.seller, trade.quoteAsset);
      sink.balance(FEE_ACCOUNT, trade.baseAsset);
      sink.balance(FEE_ACCOUNT, trade.quoteAsset);
      return true;
    }
    case "transfer":
      sink.balance(body.from, body.asset);
      sink.balance(body.to, body.asset);
      return true;
    case "hold":
      sink.doc(docIds.hold(body.holdId));
      sink.balance(body.account, body.asset);
      return true;
    case "deposit":
      sink.doc(docIds.deposit(body.network, body.txId));
      sink.balance(body.account, body.asset);
      return true;
    default:
      return false;
  }
}

/**
 * Plans one command against a view: a pure function. Throws a DomainError for an expected
 * failure (insufficient balance, unknown hold...), in which case nothing may change.
 */
export function plan(view: LedgerView, command: Command): Effects {
  const effects = new EffectsBuilder(view);
  planBody(effects, command.body, command);
  return effects.finish();
}
