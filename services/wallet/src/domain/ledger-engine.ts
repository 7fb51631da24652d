import { DomainError } from "#kit/errors/domain-error.js";
import {
  ZERO_BALANCE,
  balanceKey,
  isExternal,
  type Balance,
  type BalanceRow,
  type Command,
  type Doc,
  type Effects,
  type LedgerEntry,
  type Outcome,
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
}

class Snapshot implements LedgerView {
  /** account -> asset -> slot: two lookups instead of building a joined key per read. */
  readonly balances = new Map<string, Map<string, BalanceSlot>>();
  readonly docs = new Map<string, { before: number; current: VersionedDoc | null; dirty: boolean }>();
  missingBalances = new Map<string, { account: string; asset: string }>();
  missingDocs = new Set<string>();
  /** Every read of something not loaded yet, counted (a repeated miss counts too). */
  misses = 0;

  balance(account: string, asset: string): Balance {
    if (isExternal(account)) return ZERO_BALANCE;
    const row = this.balances.get(account)?.get(asset);
    if (!row) {
      this.misses += 1;
      this.missingBalances.set(balanceKey(account, asset), { account, asset });
      return ZERO_BALANCE;
    }
    return row.current;
  }

  doc(id: string): Doc | undefined {
    const entry = this.docs.get(id);
    if (!entry) {
      this.misses += 1;
      this.missingDocs.add(id);
      return undefined;
    }
    return entry.current?.doc;
  }

  /** What a command will read, declared up front: marked missing unless loaded already. */
  readonly wants: ReadSink = {
    balance: (account, asset) => {
      if (isExternal(account) || this.balances.get(account)?.has(asset)) return;
      this.missingBalances.set(balanceKey(account, asset), { account, asset });
    },
    doc: (id) => {
      if (!this.docs.has(id)) this.missingDocs.add(id);
    },
  };

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
      this.slots(row.account).set(row.asset, { account: row.account, asset: row.asset, before: balance, current: balance, dirty: false });
    }
    for (const key of balanceKeys) {
      const slots = this.slots(key.account);
      if (!slots.has(key.asset)) slots.set(key.asset, { account: key.account, asset: key.asset, before: null, current: ZERO_BALANCE, dirty: false });
    }
    for (const id of docIds) if (!this.docs.has(id)) this.docs.set(id, { before: 0, current: null, dirty: false });
    for (const versioned of docs) this.docs.set(versioned.doc.id, { before: versioned.version, current: versioned, dirty: false });
  }

  private slots(account: string): Map<string, BalanceSlot> {
    let slots = this.balances.get(account);
    if (!slots) this.balances.set(account, (slots = new Map()));
    return slots;
  }

  apply(effects: Effects): void {
    for (const delta of effects.deltas.values()) {
      if (isExternal(delta.account)) continue;
      const row = this.balances.get(delta.account)!.get(delta.asset)!;
      if (row.dirty) {
        // The slot's own copy since the first change in this batch: updated in place.
        const current = row.current as { available: bigint; locked: bigint; pending: bigint };
        current.available += delta.available;
        current.locked += delta.locked;
        current.pending += delta.pending;
      } else {
        row.current = {
          available: row.current.available + delta.available,
          locked: row.current.locked + delta.locked,
          pending: row.current.pending + delta.pending,
        };
      }
      row.dirty = true;
    }
    for (const doc of effects.docs) {
      const entry = this.docs.get(doc.id)!;
      entry.current = { doc, version: (entry.current?.version ?? 0) + 1 };
      entry.dirty = true;
    }
  }

  writes(transfers: TransferRecord[], entries: LedgerEntry[]): BatchWrites {
    const balances: BalanceWrite[] = [];
    for (const slots of this.balances.values()) {
      for (const row of slots.values()) if (row.dirty) balances.push({ account: row.account, asset: row.asset, before: row.before, after: row.current });
    }
    const docs: DocWrite[] = [];
    for (const entry of this.docs.values()) {
      if (entry.dirty && entry.current) docs.push({ doc: entry.current.doc, version: entry.current.version, beforeVersion: entry.before });
    }
    return { balances, docs, transfers, entries };
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

/** Runs commands in order; each one succeeds or fails on its own, and fails without effects. */
export async function runBatch(commands: readonly Command[], loader: StateLoader): Promise<BatchResult> {
  const known = new Map<string, TransferRecord>();
  for (const record of await loader.transfers([...new Set(commands.map((command) => command.id))])) known.set(record.id, record);

  const snapshot = new Snapshot();
  // Read everything the batch needs up front, in a few bulk rounds (a read can reveal another:
  // a void reads its hold, then the hold's balance).
  // Commands whose reads are known up front (settlements, transfers...) are not planned here;
  // the rest are planned against what is loaded so far to learn what they read.
  let unresolved: Command[] = [];
  for (const command of commands) {
    if (known.has(command.id)) continue;
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

  const outcomes: Outcome[] = [];
  const transfers: TransferRecord[] = [];
  const entries: LedgerEntry[] = [];
  for (const command of commands) {
    const previous = known.get(command.id);
    if (previous) {
      outcomes.push(
        previous.fingerprint === command.fingerprint
          ? { ok: true, duplicate: true, result: previous.result }
          : { ok: false, error: duplicateRequest(command.id) },
      );
      continue;
    }
    let planned = tryPlan(snapshot, command);
    for (let round = 0; planned === "missing" && round < MAX_LOAD_ROUNDS; round += 1) {
      await snapshot.loadMissing(loader);
      planned = tryPlan(snapshot, command);
    }
    if (planned === "missing") throw new Error(`command ${command.id}: state still missing after ${MAX_LOAD_ROUNDS} reads`);
    if (planned.kind === "error") {
      outcomes.push({ ok: false, error: planned.error });
      continue;
    }
    snapshot.apply(planned.effects);
    const record: TransferRecord = { id: command.id, kind: command.body.kind, fingerprint: command.fingerprint, result: planned.effects.result, time: command.time };
    known.set(command.id, record);
    transfers.push(record);
    for (const delta of planned.effects.deltas.values()) {
      entries.push({
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
    outcomes.push({ ok: true, duplicate: false, result: planned.effects.result });
  }
  return { outcomes, writes: snapshot.writes(transfers, entries) };
}
