import { createHash, hash } from "node:crypto";

// The ledger's data model, modelled on TigerBeetle. Every change is a command with a
// caller-chosen id (its idempotency key). A command is planned against a view of the current
// state (a pure function) into effects: balanced balance deltas (debits = credits for every
// asset), new versions of documents (holds, withdrawals, deposits...) and a result. A store
// applies the effects of one command atomically, or none of them.

export type Units = bigint;

/** The world outside the exchange: the counterparty of deposits and withdrawals. Never materialized. */
export const EXTERNAL_ACCOUNT = "@external";
/** The exchange's fee account: an ordinary account, counted once in the invariant. */
export const FEE_ACCOUNT = "@fees";
/**
 * The counterparty of operators' manual balance adjustments (four-eyes approved): outside the books like the
 * external account, never materialized. Its flow is the audit's own term (LedgerAudit.adjustments), so an
 * adjustment shows in the conservation check instead of hiding among deposits. Every adjustment document is
 * listed under it.
 */
export const ADJUSTMENT_ACCOUNT = "@adjustments";

/** The counterparties outside the books (the world, adjustments): never materialized, no balance to check. */
export const isExternal = (account: string): boolean => account === EXTERNAL_ACCOUNT || account === ADJUSTMENT_ACCOUNT;

export interface Balance {
  readonly available: Units;
  readonly locked: Units;
  readonly pending: Units;
}

export const ZERO_BALANCE: Balance = { available: 0n, locked: 0n, pending: 0n };

export interface BalanceRow extends Balance {
  readonly account: string;
  readonly asset: string;
}

export const balanceKey = (account: string, asset: string): string => `${account}\u001f${asset}`;

export function splitBalanceKey(key: string): { account: string; asset: string } {
  const at = key.lastIndexOf("\u001f");
  return { account: key.slice(0, at), asset: key.slice(at + 1) };
}

// ---------------------------------------------------------------- documents

export type HoldState = "pending" | "posted" | "voided" | "expired";

/** A pending transfer available -> locked. Settlements consume it; void/expiry releases the rest, once. */
export interface HoldDoc {
  readonly type: "hold";
  readonly id: string;
  readonly account: string;
  readonly asset: string;
  readonly amount: Units;
  readonly remaining: Units;
  readonly settled: Units;
  readonly state: HoldState;
  /** Ledger-clock milliseconds; 0: no timeout. */
  readonly expiresAt: number;
  readonly createdAt: number;
}

export type WithdrawalStatus = "pending" | "awaiting_approval" | "completed" | "rejected";

export interface WithdrawalDoc {
  readonly type: "withdrawal";
  readonly id: string;
  readonly account: string;
  readonly asset: string;
  readonly network: string;
  /** Debited from the account; the chain receives amount - fee. */
  readonly amount: Units;
  readonly fee: Units;
  readonly address: string;
  readonly memo: string;
  readonly status: WithdrawalStatus;
  readonly txId: string;
  readonly reason: string;
  readonly day: number;
  readonly createdAt: number;
}

export type DepositStatus = "pending" | "completed";

export interface DepositDoc {
  readonly type: "deposit";
  readonly id: string;
  readonly account: string;
  readonly asset: string;
  readonly network: string;
  readonly amount: Units;
  readonly txId: string;
  readonly confirmations: number;
  readonly status: DepositStatus;
  readonly createdAt: number;
  /** An operator's credit (network "internal"): why it was made. Absent on chain deposits. */
  readonly reason?: string;
}

/** Reverse lookup of a deposit address (and memo) to its account. */
export interface AddressDoc {
  readonly type: "address";
  readonly id: string;
  readonly account: string;
  readonly network: string;
  readonly address: string;
  readonly memo: string;
  readonly createdAt: number;
}

/** Withdrawals requested by one account in one asset on one UTC day of the ledger clock. */
export interface LimitDoc {
  readonly type: "wlimit";
  readonly id: string;
  readonly account: string;
  readonly used: Units;
  readonly createdAt: number;
}

export interface AllowListDoc {
  readonly type: "allowlist";
  readonly id: string;
  readonly account: string;
  readonly enabled: boolean;
  readonly addresses: readonly string[];
  readonly createdAt: number;
}

export type AdjustmentStatus = "pending" | "applied" | "rejected";

/**
 * An operator's manual change to one account's available balance, waiting for a second operator: requested
 * (pending, no balance changed), then applied once by another operator or rejected. `account` is always
 * ADJUSTMENT_ACCOUNT (so one listing holds every adjustment); the account it changes is `target`.
 */
export interface AdjustmentDoc {
  readonly type: "adjustment";
  readonly id: string;
  readonly account: string;
  readonly target: string;
  readonly asset: string;
  /** Signed: a credit (> 0) or a debit (< 0) of the target's available balance. */
  readonly amount: Units;
  readonly reason: string;
  readonly status: AdjustmentStatus;
  /** The operator who asked for it. */
  readonly requestedBy: string;
  /** The operator who applied or rejected it, when, and why ("" / 0 while pending). */
  readonly decidedBy: string;
  readonly decidedAt: number;
  readonly decisionReason: string;
  readonly createdAt: number;
}

export type Doc = HoldDoc | WithdrawalDoc | DepositDoc | AddressDoc | LimitDoc | AllowListDoc | AdjustmentDoc;
export type DocType = Doc["type"];

export interface VersionedDoc {
  readonly doc: Doc;
  /** 1 for a new document; each write adds one. Stores use it as the optimistic condition. */
  readonly version: number;
}

/**
 * When the ledger's clock should act on a document; null: never. A pending hold with a timeout
 * expires; a withdrawal left `pending` (approved, not yet completed: a crash between broadcast
 * and completion) is driven again, from its creation time on (the sweep adds a grace period).
 */
export function docDue(doc: Doc): number | null {
  if (doc.type === "hold") return doc.state === "pending" && doc.expiresAt > 0 ? doc.expiresAt : null;
  if (doc.type === "withdrawal") return doc.status === "pending" ? doc.createdAt : null;
  return null;
}

/**
 * Where a document stands in the approval queue: a withdrawal above its asset's threshold waits
 * there from its creation time until it is approved or rejected; null for everything else. Stores
 * index it sparsely (only waiting documents carry it), so the queue is read without a scan.
 */
export function docAwaitingSince(doc: Doc): number | null {
  return doc.type === "withdrawal" && doc.status === "awaiting_approval" ? doc.createdAt : null;
}

export const docIds = {
  hold: (holdId: string) => `hold:${holdId}`,
  withdrawal: (withdrawalId: string) => `withdrawal:${withdrawalId}`,
  deposit: (network: string, txId: string) => `deposit:${network}:${txId}`,
  address: (network: string, address: string, memo: string) => `address:${network}:${address}:${memo}`,
  limit: (account: string, asset: string, day: number) => `wlimit:${account}:${asset}:${day}`,
  allowList: (account: string) => `allowlist:${account}`,
  adjustment: (adjustmentId: string) => `adjustment:${adjustmentId}`,
};

/**
 * BigInt(text), through a number when the text is a few digits only (exact below 2^53, and much
 * cheaper than parsing text into a bigint): results carry amounts as decimal text.
 */
export function parseUnits(text: string): bigint {
  const length = text.length;
  if (length === 0 || length > 15) return BigInt(text);
  let value = 0;
  for (let at = 0; at < length; at += 1) {
    const digit = text.charCodeAt(at) - 48;
    if (digit < 0 || digit > 9) return BigInt(text);
    value = value * 10 + digit;
  }
  return BigInt(value);
}

// Documents travel as JSON; bigints are tagged so they come back as bigints.
const BIGINT_TAG = "\u0000n:";

// Documents are flat (an allow-list's addresses are plain strings), so only top-level values are
// converted: cheaper than a JSON replacer/reviver, which is called for every value.
export function encodeDoc(doc: Doc): string {
  if (doc.type === "hold") return encodeHold(doc);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) out[key] = typeof value === "bigint" ? `${BIGINT_TAG}${value}` : value;
  return JSON.stringify(out);
}

/**
 * JSON.stringify of a string, without its call for the common string that needs no escape (no
 * quote, backslash, control character or surrogate: JSON.stringify writes those differently).
 */
export function jsonString(value: string): string {
  return plainJson(value) ? `"${value}"` : JSON.stringify(value);
}

/** True when JSON.stringify(value) is the value between quotes. */
function plainJson(value: string): boolean {
  for (let at = 0; at < value.length; at += 1) {
    const code = value.charCodeAt(at);
    if (code < 0x20 || code === 0x22 || code === 0x5c || (code >= 0xd800 && code <= 0xdfff)) return false;
  }
  return true;
}

/** A hold is written on every settlement that touches it: its text spelled out, same format as the generic path. */
function encodeHold(hold: HoldDoc): string {
  const text = jsonString;
  const units = (value: bigint) => `"\\u0000n:${value}"`;
  return (
    `{"type":"hold","id":${text(hold.id)},"account":${text(hold.account)},"asset":${text(hold.asset)},"amount":${units(hold.amount)},` +
    `"remaining":${units(hold.remaining)},"settled":${units(hold.settled)},"state":${text(hold.state)},"expiresAt":${hold.expiresAt},"createdAt":${hold.createdAt}}`
  );
}

export function decodeDoc(text: string): Doc {
  const doc = JSON.parse(text) as Record<string, unknown>;
  for (const key in doc) {
    const value = doc[key];
    if (typeof value === "string" && value.startsWith(BIGINT_TAG)) doc[key] = BigInt(value.slice(BIGINT_TAG.length));
  }
  return doc as unknown as Doc;
}

// ---------------------------------------------------------------- commands

export interface SettleTrade {
  readonly tradeId: string;
  readonly symbol: string;
  readonly baseAsset: string;
  readonly quoteAsset: string;
  readonly buyer: string;
  readonly seller: string;
  /** Empty: pay from available instead of a hold. */
  readonly buyerHoldId: string;
  readonly sellerHoldId: string;
  readonly base: Units;
  readonly quote: Units;
  readonly buyerIsMaker: boolean;
}

export type CommandBody =
  | {
      readonly kind: "deposit";
      readonly depositId: string;
      readonly account: string;
      readonly asset: string;
      readonly network: string;
      readonly amount: Units;
      readonly txId: string;
      readonly confirmations: number;
      readonly required: number;
      /** An operator's credit: why. Left out (not empty) otherwise, so other deposits' fingerprints stay as they were. */
      readonly reason?: string;
    }
  | { readonly kind: "hold"; readonly holdId: string; readonly account: string; readonly asset: string; readonly amount: Units; readonly timeoutMs: number }
  | {
      readonly kind: "void";
      readonly holdId: string;
      readonly expire: boolean;
      /**
       * Hands `amount` of what remains to another pending hold of the same account and asset (it stays locked) and
       * releases only the rest. Left out (not undefined) otherwise, so other voids' fingerprints stay as they were.
       */
      readonly moveTo?: { readonly holdId: string; readonly amount: Units };
    }
  | { readonly kind: "reduce"; readonly holdId: string; readonly amount: Units }
  | { readonly kind: "settle"; readonly trade: SettleTrade; readonly buyerFeeBps: number; readonly sellerFeeBps: number }
  | { readonly kind: "transfer"; readonly from: string; readonly to: string; readonly asset: string; readonly amount: Units }
  | {
      readonly kind: "withdraw_request";
      readonly withdrawalId: string;
      readonly account: string;
      readonly asset: string;
      readonly network: string;
      readonly amount: Units;
      readonly fee: Units;
      readonly address: string;
      readonly memo: string;
      readonly dailyLimit: Units;
      readonly approvalThreshold: Units;
    }
  | { readonly kind: "withdraw_approve"; readonly withdrawalId: string }
  | { readonly kind: "withdraw_complete"; readonly withdrawalId: string; readonly txId: string }
  | { readonly kind: "withdraw_reject"; readonly withdrawalId: string; readonly reason: string }
  | { readonly kind: "register_address"; readonly account: string; readonly network: string; readonly address: string; readonly memo: string }
  | { readonly kind: "set_allowlist"; readonly account: string; readonly enabled: boolean; readonly addresses: readonly string[] }
  | {
      readonly kind: "adjustment_request";
      readonly adjustmentId: string;
      readonly account: string;
      readonly asset: string;
      readonly amount: Units;
      readonly reason: string;
      readonly requestedBy: string;
    }
  /** Applies a pending adjustment (its account, asset and amount restated, checked against the document). */
  | {
      readonly kind: "adjustment";
      readonly adjustmentId: string;
      readonly account: string;
      readonly asset: string;
      readonly amount: Units;
      readonly approvedBy: string;
      readonly reason: string;
    }
  | { readonly kind: "adjustment_reject"; readonly adjustmentId: string; readonly rejectedBy: string; readonly reason: string };

export type CommandKind = CommandBody["kind"];

export interface Command {
  /** The idempotency key. */
  readonly id: string;
  /** Ledger-clock milliseconds when the command was accepted. */
  readonly time: number;
  readonly body: CommandBody;
  /** Hash of what the caller asked for (not of derived values such as fee rates). */
  readonly fingerprint: string;
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => (typeof inner === "bigint" ? inner.toString() : inner));
}

/**
 * The same text as canonical() for a settlement (the hot path), written out directly: no
 * replacer call per value, no intermediate object. Keys in SettleTrade's declaration order.
 */
function canonicalSettle(trade: SettleTrade): string {
  const { tradeId, symbol, baseAsset, quoteAsset, buyer, seller, buyerHoldId, sellerHoldId } = trade;
  if (
    plainJson(tradeId) &&
    plainJson(symbol) &&
    plainJson(baseAsset) &&
    plainJson(quoteAsset) &&
    plainJson(buyer) &&
    plainJson(seller) &&
    plainJson(buyerHoldId) &&
    plainJson(sellerHoldId)
  ) {
    // The usual case, in one template: no string to escape.
    return (
      `{"kind":"settle","trade":{"tradeId":"${tradeId}","symbol":"${symbol}","baseAsset":"${baseAsset}","quoteAsset":"${quoteAsset}","buyer":"${buyer}",` +
      `"seller":"${seller}","buyerHoldId":"${buyerHoldId}","sellerHoldId":"${sellerHoldId}","base":"${trade.base}","quote":"${trade.quote}","buyerIsMaker":${trade.buyerIsMaker}}}`
    );
  }
  const text = JSON.stringify;
  return (
    `{"kind":"settle","trade":{"tradeId":${text(trade.tradeId)},"symbol":${text(trade.symbol)},"baseAsset":${text(trade.baseAsset)},` +
    `"quoteAsset":${text(trade.quoteAsset)},"buyer":${text(trade.buyer)},"seller":${text(trade.seller)},"buyerHoldId":${text(trade.buyerHoldId)},` +
    `"sellerHoldId":${text(trade.sellerHoldId)},"base":"${trade.base}","quote":"${trade.quote}","buyerIsMaker":${trade.buyerIsMaker}}}`
  );
}

/** The part of a command's body that identifies the request: settlement fee rates are derived, so left out. */
function requestContent(body: CommandBody): unknown {
  if (body.kind === "settle") return { kind: body.kind, trade: body.trade };
  if (body.kind === "withdraw_request") {
    const { dailyLimit: _limit, approvalThreshold: _threshold, fee: _fee, ...request } = body;
    return request;
  }
  if (body.kind === "deposit") {
    const { required: _required, ...observed } = body;
    return observed;
  }
  return body;
}

// One-shot hashing where Node has it (20.12+): no Hash object per command.
const sha256: (text: string) => string =
  typeof hash === "function" ? (text) => hash("sha256", text, "base64url") : (text) => createHash("sha256").update(text).digest("base64url");

export function makeCommand(id: string, time: number, body: CommandBody): Command {
  const text = body.kind === "settle" ? canonicalSettle(body.trade) : canonical(requestContent(body));
  const fingerprint = sha256(text).slice(0, 32);
  return { id, time, body, fingerprint };
}

// ---------------------------------------------------------------- effects and outcomes

export interface Delta {
  readonly account: string;
  readonly asset: string;
  available: Units;
  locked: Units;
  pending: Units;
}

export interface Effects {
  readonly deltas: ReadonlyMap<string, Delta>;
  readonly docs: readonly Doc[];
  readonly result: Readonly<Record<string, string>>;
}

/** One row of an account's history: the change one transfer made to one balance. */
export interface LedgerEntry {
  readonly transferId: string;
  readonly kind: CommandKind;
  readonly account: string;
  readonly asset: string;
  readonly available: Units;
  readonly locked: Units;
  readonly pending: Units;
  readonly time: number;
}

/** What the store remembers of an applied command: enough to answer a retry. */
export interface TransferRecord {
  readonly id: string;
  readonly kind: CommandKind;
  readonly fingerprint: string;
  readonly result: Readonly<Record<string, string>>;
  readonly time: number;
}

export type Outcome =
  | { readonly ok: true; readonly duplicate: boolean; readonly result: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly error: Error };

export interface Page<T> {
  readonly items: T[];
  /** Empty when there is nothing more. */
  readonly next: string;
}
