import { DomainError } from "#kit/errors/domain-error.js";
import { feeFor } from "./fees.js";
import {
  FEE_ACCOUNT,
  ZERO_BALANCE,
  balanceKey,
  docAwaitingSince,
  docDue,
  docIds,
  isExternal,
  type Balance,
  type BalanceRow,
  type Command,
  type Doc,
  type Effects,
  type HoldDoc,
  type LedgerEntry,
  type Outcome,
  type SettleTrade,
  type TransferRecord,
  type VersionedDoc,
} from "./ledger.js";
import { declareReads, plan, type LedgerView, type ReadSink } from "./plan.js";
import { duplicateRequest } from "./wallet.errors.js";

// The state machine every store runs: it loads what a batch of commands reads (through the
// store's loader, e.g. SELECT ... FOR UPDATE inside a transaction), plans and applies each
// command in order against an in-memory snapshot, and returns what to write, netted per row:
// a balance touched by a thousand settlements in one batch is written once.

export interface StateLoader {
  transfers(ids: readonly string[]): Promise<TransferRecord[]>;
  /** Existing rows only. */
  balances(keys: readonly { account: string; asset: string }[]): Promise<BalanceRow[]>;
  docs(ids: readonly string[]): Promise<VersionedDoc[]>;
}

/**
 * A loader that keeps some state in memory (the state cache) and answers for it at once: runBatch
 * asks it first, and goes through the asynchronous methods only for what it does not know.
 */
export interface MemoryStateLoader extends StateLoader {
  /** The balance as the loader would return it; null: known not to exist; undefined: not known. */
  cachedBalance(account: string, asset: string): Balance | null | undefined;
  /** Likewise for a document. */
  cachedDoc(id: string): VersionedDoc | null | undefined;
}

function isMemoryLoader(loader: StateLoader): loader is MemoryStateLoader {
  const memory = loader as Partial<MemoryStateLoader>;
  return typeof memory.cachedBalance === "function" && typeof memory.cachedDoc === "function";
}

export interface BalanceWrite {
  readonly account: string;
  readonly asset: string;
  /** null: the row does not exist yet. */
  readonly before: Balance | null;
  readonly after: Balance;
}

export interface DocWrite {
  readonly doc: Doc;
  readonly version: number;
  /** 0: a new document. */
  readonly beforeVersion: number;
  /** When the ledger's clock was due to act on the document before (docDue); a store skips an unchanged due. */
  readonly beforeDue: number | null;
  /** Its place in the approval queue before (docAwaitingSince); likewise. */
  readonly beforeAwaiting: number | null;
}

export interface BatchWrites {
  readonly balances: BalanceWrite[];
  readonly docs: DocWrite[];
  readonly transfers: TransferRecord[];
  readonly entries: LedgerEntry[];
}

export interface BatchResult {
  readonly outcomes: Outcome[];
  readonly writes: BatchWrites;
}

interface BalanceSlot {
  account: string;
  asset: string;
  before: Balance | null;
  current: Balance;
  dirty: boolean;
  /** The account's next slot (another asset), in the order they were read. */
  next: BalanceSlot | undefined;
}

interface DocSlot {
  before: number;
  beforeDue: number | null;
  beforeAwaiting: number | null;
  /** null: no such document (yet). */
  doc: Doc | null;
  version: number;
  /** Changed in this batch: `doc` is then the batch's own copy. */
  dirty: boolean;
}

type MutableBalance = { -readonly [K in keyof Balance]: Balance[K] };

/** A hold the batch owns (its own copy), updated in place. */
type OwnedHold = { -readonly [K in keyof HoldDoc]: HoldDoc[K] };

class Snapshot implements LedgerView {
  /** account -> its first slot, the others chained by asset (an account has a few): no joined key per read, no map per account. */
  readonly balances = new Map<string, BalanceSlot>();
  readonly docs = new Map<string, DocSlot>();
  /** Hold slots by the hold's own id (a settlement's two reads build no document id). */
  private readonly holds = new Map<string, DocSlot>();
  missingBalances = new Map<string, { account: string; asset: string }>();
  missingDocs = new Set<string>();
  /** Every read of something not loaded yet, counted (a repeated miss counts too). */
  misses = 0;

  constructor(private readonly memory: MemoryStateLoader | undefined) {}

  balance(account: string, asset: string): Balance {
    if (isExternal(account)) return ZERO_BALANCE;
    const row = this.slot(account, asset) ?? this.recallBalance(account, asset);
    if (!row) {
      this.misses += 1;
      this.missingBalances.set(balanceKey(account, asset), { account, asset });
      return ZERO_BALANCE;
    }
    return row.current;
  }

  doc(id: string): Doc | undefined {
    const entry = this.docs.get(id) ?? this.recallDoc(id);
    if (!entry) {
      this.misses += 1;
      this.missingDocs.add(id);
      return undefined;
    }
    return entry.doc ?? undefined;
  }

  /** What a command will read, declared up front: marked missing unless loaded already. */
  readonly wants: ReadSink = {
    balance: (account, asset) => {
      if (isExternal(account) || this.slot(account, asset) || this.recallBalance(account, asset)) return;
      this.missingBalances.set(balanceKey(account, asset), { account, asset });
    },
    doc: (id) => {
      if (!this.docs.has(id) && !this.recallDoc(id)) this.missingDocs.add(id);
    },
    hold: (holdId) => {
      if (!this.holdSlot(holdId)) this.missingDocs.add(docIds.hold(holdId));
    },
  };

  /** A hold's slot by the hold's id; undefined: not loaded. */
  holdSlot(holdId: string): DocSlot | undefined {
    let slot = this.holds.get(holdId);
    if (slot === undefined) {
      const id = docIds.hold(holdId);
      slot = this.docs.get(id) ?? this.recallDoc(id);
      if (slot !== undefined) this.holds.set(holdId, slot);
    }
    return slot;
  }

  /** A balance the memory loader knows, as a loaded slot; undefined when it does not know it. */
  private recallBalance(account: string, asset: string): BalanceSlot | undefined {
    const cached = this.memory?.cachedBalance(account, asset);
    if (cached === undefined) return undefined;
    return this.putSlot(account, asset, cached, cached ?? ZERO_BALANCE);
  }

  /** Likewise for a document. */
  private recallDoc(id: string): DocSlot | undefined {
    const cached = this.memory?.cachedDoc(id);
    if (cached === undefined) return undefined;
    const slot: DocSlot =
      cached === null
        ? { before: 0, beforeDue: null, beforeAwaiting: null, doc: null, version: 0, dirty: false }
        : { before: cached.version, beforeDue: docDue(cached.doc), beforeAwaiting: docAwaitingSince(cached.doc), doc: cached.doc, version: cached.version, dirty: false };
    this.docs.set(id, slot);
    return slot;
  }

  hasMissing(): boolean {
    return this.missingBalances.size > 0 || this.missingDocs.size > 0;
  }

  async loadMissing(loader: StateLoader): Promise<void> {
    const balanceKeys = [...this.missingBalances.values()];
    const docIds = [...this.missingDocs];
    this.missingBalances = new Map();
    this.missingDocs = new Set();
    const [rows, docs] = await Promise.all([
      balanceKeys.length > 0 ? loader.balances(balanceKeys) : Promise.resolve([]),
      docIds.length > 0 ? loader.docs(docIds) : Promise.resolve([]),
    ]);
    for (const row of rows) {
      const balance = { available: row.available, locked: row.locked, pending: row.pending };
      this.putSlot(row.account, row.asset, balance, balance);
    }
    for (const key of balanceKeys) if (!this.slot(key.account, key.asset)) this.putSlot(key.account, key.asset, null, ZERO_BALANCE);
    for (const id of docIds) if (!this.docs.has(id)) this.docs.set(id, { before: 0, beforeDue: null, beforeAwaiting: null, doc: null, version: 0, dirty: false });
    for (const versioned of docs) {
      const doc = versioned.doc;
      this.docs.set(doc.id, { before: versioned.version, beforeDue: docDue(doc), beforeAwaiting: docAwaitingSince(doc), doc, version: versioned.version, dirty: false });
    }
  }

  /** Sets a balance as loaded: a new slot at the end of the account's chain, or the account's slot for the asset reset. */
  private putSlot(account: string, asset: string, before: Balance | null, current: Balance): BalanceSlot {
    let slot = this.balances.get(account);
    if (slot === undefined) {
      slot = { account, asset, before, current, dirty: false, next: undefined };
      this.balances.set(account, slot);
      return slot;
    }
    for (;;) {
      if (slot.asset === asset) {
        slot.before = before;
        slot.current = current;
        slot.dirty = false;
        return slot;
      }
      if (slot.next === undefined) return (slot.next = { account, asset, before, current, dirty: false, next: undefined });
      slot = slot.next;
    }
  }

  /** A loaded balance slot, or one the memory loader knows (undefined: neither). */
  loadedSlot(account: string, asset: string): BalanceSlot | undefined {
    return this.slot(account, asset) ?? this.recallBalance(account, asset);
  }

  /** A loaded balance slot (undefined: not loaded). */
  slot(account: string, asset: string): BalanceSlot | undefined {
    let slot = this.balances.get(account);
    while (slot !== undefined && slot.asset !== asset) slot = slot.next;
    return slot;
  }

  /** Adds to a slot: its own copy from the first change in the batch on, updated in place. */
  add(row: BalanceSlot, available: bigint, locked: bigint, pending = 0n): void {
    if (row.dirty) {
      const current = row.current as MutableBalance;
      current.available += available;
      current.locked += locked;
      current.pending += pending;
    } else {
      row.current = { available: row.current.available + available, locked: row.current.locked + locked, pending: row.current.pending + pending };
      row.dirty = true;
    }
  }

  /** A settlement takes `amount` out of a (checked) pending hold: its own copy from the first change in the batch on, updated in place. */
  consumeHold(entry: DocSlot, amount: bigint): void {
    const hold = entry.doc as HoldDoc;
    if (entry.dirty) {
      const owned = hold as OwnedHold;
      owned.remaining -= amount;
      owned.settled += amount;
    } else {
      entry.doc = { ...hold, remaining: hold.remaining - amount, settled: hold.settled + amount };
      entry.dirty = true;
    }
    entry.version += 1;
  }

  apply(effects: Effects): void {
    for (const delta of effects.deltas.values()) {
      if (isExternal(delta.account)) continue;
      this.add(this.slot(delta.account, delta.asset)!, delta.available, delta.locked, delta.pending);
    }
    for (const doc of effects.docs) {
      const entry = this.docs.get(doc.id)!;
      entry.doc = doc;
      entry.version += 1;
      entry.dirty = true;
    }
  }

  writes(transfers: TransferRecord[], entries: LedgerEntry[]): BatchWrites {
    const balances: BalanceWrite[] = [];
    for (const first of this.balances.values()) {
      for (let row: BalanceSlot | undefined = first; row !== undefined; row = row.next) {
        if (row.dirty) balances.push({ account: row.account, asset: row.asset, before: row.before, after: row.current });
      }
    }
    const docs: DocWrite[] = [];
    for (const entry of this.docs.values()) {
      if (entry.dirty && entry.doc) {
        docs.push({ doc: entry.doc, version: entry.version, beforeVersion: entry.before, beforeDue: entry.beforeDue, beforeAwaiting: entry.beforeAwaiting });
      }
    }
    return { balances, docs, transfers, entries };
  }
}

/** The batch's history entries, in an array sized up front; a command with more than its share only grows it. */
class EntryLog {
  private readonly items: LedgerEntry[];
  private count = 0;

  constructor(capacity: number) {
    this.items = new Array<LedgerEntry>(capacity);
  }

  add(entry: LedgerEntry): void {
    this.items[this.count++] = entry;
  }

  /** The entries, the array cut to what was written. */
  finish(): LedgerEntry[] {
    this.items.length = this.count;
    return this.items;
  }
}

type Planned = { kind: "ok"; effects: Effects } | { kind: "error"; error: Error };

function tryPlan(snapshot: Snapshot, command: Command): Planned | "missing" {
  // Expected failures are values here; their stack traces are pure cost (and the pre-pass plans
  // against a half-loaded snapshot, where "not found" is routine).
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    const effects = plan(snapshot, command);
    return snapshot.hasMissing() ? "missing" : { kind: "ok", effects };
  } catch (error) {
    if (snapshot.hasMissing()) return "missing";
    if (error instanceof DomainError) return { kind: "error", error };
    throw error;
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

const MAX_LOAD_ROUNDS = 8;

type SettleBody = Extract<Command["body"], { kind: "settle" }>;

/**
 * The settlement path, written out: a trade paid from two holds, between two user accounts, that
 * succeeds. It applies to the snapshot directly (no effects map, no delta objects) and gives the
 * same writes, entries (same order) and result as plan() would. Anything else (a self-trade, no
 * hold, state not loaded, any failure) returns undefined and goes through plan(), which also
 * words the error.
 */
function settleFromHolds(
  snapshot: Snapshot,
  command: Command,
  body: SettleBody,
  entries: EntryLog,
  prepared: SettleSlots | undefined,
): Readonly<Record<string, string>> | undefined {
  const slots = prepared ?? settleSlots(snapshot, body.trade);
  if (!slots) return undefined;
  const { buyerHold, sellerHold, buyerPays, sellerPays, buyerGets, sellerGets, feesBase, feesQuote } = slots;
  const trade = body.trade;
  const { buyer, seller, baseAsset, quoteAsset, base, quote } = trade;
  const now = command.time;
  if (!usableHold(buyerHold.doc, buyer, quoteAsset, quote, now) || !usableHold(sellerHold.doc, seller, baseAsset, base, now)) return undefined;
  if (buyerPays.current.locked < quote || sellerPays.current.locked < base) return undefined;
  const buyerFee = feeFor(base, body.buyerFeeBps);
  const sellerFee = feeFor(quote, body.sellerFeeBps);

  snapshot.consumeHold(buyerHold, quote);
  snapshot.consumeHold(sellerHold, base);
  const id = command.id;
  settleLocked(entries, id, now, buyerPays, -quote);
  settleLocked(entries, id, now, sellerPays, -base);
  settleAvailable(entries, id, now, buyerGets, base - buyerFee);
  settleAvailable(entries, id, now, sellerGets, quote - sellerFee);
  settleAvailable(entries, id, now, feesBase, buyerFee);
  settleAvailable(entries, id, now, feesQuote, sellerFee);
  return { buyerFee: buyerFee.toString(), sellerFee: sellerFee.toString() };
}

/** What a settlement from two holds works on: its holds and six balances. */
interface SettleSlots {
  readonly buyerHold: DocSlot;
  readonly sellerHold: DocSlot;
  readonly buyerPays: BalanceSlot;
  readonly buyerGets: BalanceSlot;
  readonly sellerPays: BalanceSlot;
  readonly sellerGets: BalanceSlot;
  readonly feesBase: BalanceSlot;
  readonly feesQuote: BalanceSlot;
}

/**
 * The slots of a settlement between two user accounts paid from two holds, all loaded (or in the
 * memory loader: read in declareReads' order, so the snapshot ends up as declareReads leaves it);
 * undefined for any other settlement, or at the first read not loaded.
 */
function settleSlots(snapshot: Snapshot, trade: SettleTrade): SettleSlots | undefined {
  const { buyer, seller, baseAsset, quoteAsset } = trade;
  if (buyer === seller || trade.buyerHoldId === "" || trade.sellerHoldId === "") return undefined;
  if (buyer === FEE_ACCOUNT || seller === FEE_ACCOUNT || isExternal(buyer) || isExternal(seller)) return undefined;
  const buyerHold = snapshot.holdSlot(trade.buyerHoldId);
  if (!buyerHold) return undefined;
  const sellerHold = snapshot.holdSlot(trade.sellerHoldId);
  if (!sellerHold) return undefined;
  const buyerPays = snapshot.loadedSlot(buyer, quoteAsset);
  if (!buyerPays) return undefined;
  const buyerGets = snapshot.loadedSlot(buyer, baseAsset);
  if (!buyerGets) return undefined;
  const sellerPays = snapshot.loadedSlot(seller, baseAsset);
  if (!sellerPays) return undefined;
  const sellerGets = snapshot.loadedSlot(seller, quoteAsset);
  if (!sellerGets) return undefined;
  const feesBase = snapshot.loadedSlot(FEE_ACCOUNT, baseAsset);
  if (!feesBase) return undefined;
  const feesQuote = snapshot.loadedSlot(FEE_ACCOUNT, quoteAsset);
  if (!feesQuote) return undefined;
  return { buyerHold, sellerHold, buyerPays, buyerGets, sellerPays, sellerGets, feesBase, feesQuote };
}

// One balance change of a settlement and its history entry; a change of nothing is left out, as
// plan() does. The slot is changed as Snapshot.add would, one field only.

function settleLocked(entries: EntryLog, id: string, now: number, slot: BalanceSlot, locked: bigint): void {
  if (locked === 0n) return;
  if (slot.dirty) {
    (slot.current as MutableBalance).locked += locked;
  } else {
    const current = slot.current;
    slot.current = { available: current.available, locked: current.locked + locked, pending: current.pending };
    slot.dirty = true;
  }
  entries.add({ transferId: id, kind: "settle", account: slot.account, asset: slot.asset, available: 0n, locked, pending: 0n, time: now });
}

function settleAvailable(entries: EntryLog, id: string, now: number, slot: BalanceSlot, available: bigint): void {
  if (available === 0n) return;
  if (slot.dirty) {
    (slot.current as MutableBalance).available += available;
  } else {
    const current = slot.current;
    slot.current = { available: current.available + available, locked: current.locked, pending: current.pending };
    slot.dirty = true;
  }
  entries.add({ transferId: id, kind: "settle", account: slot.account, asset: slot.asset, available, locked: 0n, pending: 0n, time: now });
}

function usableHold(doc: Doc | null | undefined, account: string, asset: string, amount: bigint, now: number): doc is HoldDoc {
  return (
    doc !== undefined &&
    doc !== null &&
    doc.type === "hold" &&
    doc.account === account &&
    doc.asset === asset &&
    doc.state === "pending" &&
    !(doc.expiresAt > 0 && now >= doc.expiresAt) &&
    doc.remaining >= amount
  );
}

/** Runs commands in order; each one succeeds or fails on its own, and fails without effects. */
export async function runBatch(commands: readonly Command[], loader: StateLoader, options: { fastPaths?: boolean } = {}): Promise<BatchResult> {
  const fastPaths = options.fastPaths ?? true;
  const ids = new Set<string>();
  for (const command of commands) ids.add(command.id);
  // A command applied in this batch answers a later one with its id; with no id twice, none is asked.
  const repeats = ids.size < commands.length;
  const known = new Map<string, TransferRecord>();
  for (const record of await loader.transfers([...ids])) known.set(record.id, record);

  const snapshot = new Snapshot(isMemoryLoader(loader) ? loader : undefined);
  // Read everything the batch needs up front, in a few bulk rounds (a read can reveal another:
  // a void reads its hold, then the hold's balance).
  // Commands whose reads are known up front (settlements, transfers...) are not planned here;
  // the rest are planned against what is loaded so far to learn what they read.
  // A settlement whose reads are all in memory already has its slots found here, once.
  let unresolved: Command[] = [];
  const prepared: (SettleSlots | undefined)[] = new Array(commands.length);
  for (let index = 0; index < commands.length; index += 1) {
    const command = commands[index]!;
    if (known.has(command.id)) continue;
    if (fastPaths && command.body.kind === "settle" && (prepared[index] = settleSlots(snapshot, command.body.trade))) continue;
    if (!declareReads(command, snapshot.wants)) unresolved.push(command);
  }
  for (let round = 0; round < MAX_LOAD_ROUNDS && unresolved.length > 0; round += 1) {
    const waiting: Command[] = [];
    for (const command of unresolved) {
      const before = snapshot.misses;
      tryPlan(snapshot, command);
      if (snapshot.misses > before) waiting.push(command);
    }
    if (!snapshot.hasMissing()) break;
    await snapshot.loadMissing(loader);
    unresolved = waiting;
  }
  if (snapshot.hasMissing()) await snapshot.loadMissing(loader);

  // Sized up front (one outcome per command, at most one transfer, a settlement's six entries): no growth per push.
  const outcomes = new Array<Outcome>(commands.length);
  const transfers = new Array<TransferRecord>(commands.length);
  let transferCount = 0;
  const entries = new EntryLog(commands.length * 6);
  for (let index = 0; index < commands.length; index += 1) {
    const command = commands[index]!;
    const previous = known.get(command.id);
    if (previous) {
      outcomes[index] =
        previous.fingerprint === command.fingerprint ? { ok: true, duplicate: true, result: previous.result } : { ok: false, error: duplicateRequest(command.id) };
      continue;
    }
    if (fastPaths && command.body.kind === "settle") {
      const result = settleFromHolds(snapshot, command, command.body, entries, prepared[index]);
      if (result) {
        const record: TransferRecord = { id: command.id, kind: "settle", fingerprint: command.fingerprint, result, time: command.time };
        if (repeats) known.set(command.id, record);
        transfers[transferCount++] = record;
        outcomes[index] = { ok: true, duplicate: false, result };
        continue;
      }
    }
    let planned = tryPlan(snapshot, command);
    for (let round = 0; planned === "missing" && round < MAX_LOAD_ROUNDS; round += 1) {
      await snapshot.loadMissing(loader);
      planned = tryPlan(snapshot, command);
    }
    if (planned === "missing") throw new Error(`command ${command.id}: state still missing after ${MAX_LOAD_ROUNDS} reads`);
    if (planned.kind === "error") {
      outcomes[index] = { ok: false, error: planned.error };
      continue;
    }
    snapshot.apply(planned.effects);
    const record: TransferRecord = { id: command.id, kind: command.body.kind, fingerprint: command.fingerprint, result: planned.effects.result, time: command.time };
    if (repeats) known.set(command.id, record);
    transfers[transferCount++] = record;
    for (const delta of planned.effects.deltas.values()) {
      entries.add({
        transferId: command.id,
        kind: command.body.kind,
        account: delta.account,
        asset: delta.asset,
        available: delta.available,
        locked: delta.locked,
        pending: delta.pending,
        time: command.time,
      });
    }
    outcomes[index] = { ok: true, duplicate: false, result: planned.effects.result };
  }
  transfers.length = transferCount;
  await answerLateDuplicates(commands, outcomes, known, loader);
  return { outcomes, writes: snapshot.writes(transfers, entries.finish()) };
}

/**
 * A refusal planned from state that shows another writer's commit of this very command (two order
 * replicas settling the same trade): its transfer was looked up before that commit, its balances
 * and documents read after it (separate statements, or rows locked only after the lookup). Its
 * transfer is there now: the command is answered as the duplicate it is. A refused command made
 * no change to the snapshot, so the rest of the batch stands.
 */
async function answerLateDuplicates(commands: readonly Command[], outcomes: Outcome[], known: ReadonlyMap<string, TransferRecord>, loader: StateLoader): Promise<void> {
  const refused = new Map<string, number[]>();
  for (let index = 0; index < commands.length; index += 1) {
    const id = commands[index]!.id;
    if (!outcomes[index]!.ok && !known.has(id)) refused.set(id, [...(refused.get(id) ?? []), index]);
  }
  if (refused.size === 0) return;
  for (const record of await loader.transfers([...refused.keys()])) {
    for (const index of refused.get(record.id) ?? []) {
      outcomes[index] = record.fingerprint === commands[index]!.fingerprint ? { ok: true, duplicate: true, result: record.result } : { ok: false, error: duplicateRequest(record.id) };
    }
  }
}
