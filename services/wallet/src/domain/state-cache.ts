import type { Balance, BalanceRow, TransferRecord, VersionedDoc } from "./ledger.js";
import type { BatchWrites, MemoryStateLoader, StateLoader } from "./ledger-engine.js";

// The ledger's working set kept in memory between batches, so a busy account (the fee account, a
// market maker) is read from the store once, not once per batch. It holds the state as of the
// last PLANNED batch, which may not be committed yet: the next batch plans on top of it while the
// previous one commits. Nothing here has to be right for money to be right: every write made from
// it is conditional on the values it was planned against (compare-and-set on each balance, the
// version of each document, a unique transfer id), so a stale entry makes the store refuse the
// batch, and the caller clears the cache and runs the batch again against the store itself.

/** A cached value, or null when the store is known not to have the row. */
type Cached<T> = T | null;

export class LedgerStateCache {
  private balances = new Map<string, Map<string, Cached<Balance>>>();
  private docs = new Map<string, Cached<VersionedDoc>>();
  /**
   * Transfers of planned batches not yet known to be committed (the store cannot answer for them
   * yet), a batch's list each; indexed by id only when asked while some are pending.
   */
  private pending: (readonly TransferRecord[])[] = [];
  private pendingIndex: Map<string, TransferRecord> | undefined;
  private size = 0;

  constructor(
    /** Rows kept before the cache starts over (it is cleared whole, between batches). */
    private readonly capacity = 1_000_000,
  ) {}

  /** A loader that answers from memory and asks `store` only for what it has not seen. */
  loader(store: StateLoader): StateLoader {
    const loader: MemoryStateLoader = {
      // What runBatch may read from memory at once, without a round through the methods below.
      cachedBalance: (account, asset) => this.balances.get(account)?.get(asset),
      cachedDoc: (id) => this.docs.get(id),
      transfers: async (ids) => {
        if (this.pending.length === 0) return ids.length > 0 ? store.transfers(ids) : [];
        const pending = this.pendingById();
        const found: TransferRecord[] = [];
        const ask: string[] = [];
        for (const id of ids) {
          const record = pending.get(id);
          if (record) found.push(record);
          else ask.push(id);
        }
        if (ask.length > 0) found.push(...(await store.transfers(ask)));
        return found;
      },
      balances: async (keys) => {
        const rows: BalanceRow[] = [];
        const ask: { account: string; asset: string }[] = [];
        for (const key of keys) {
          const cached = this.balances.get(key.account)?.get(key.asset);
          if (cached === undefined) ask.push(key);
          else if (cached !== null) rows.push({ account: key.account, asset: key.asset, ...cached });
        }
        if (ask.length > 0) {
          const loaded = await store.balances(ask);
          for (const key of ask) this.setBalance(key.account, key.asset, null);
          for (const row of loaded) {
            this.setBalance(row.account, row.asset, { available: row.available, locked: row.locked, pending: row.pending });
            rows.push(row);
          }
        }
        return rows;
      },
      docs: async (ids) => {
        const found: VersionedDoc[] = [];
        const ask: string[] = [];
        for (const id of ids) {
          const cached = this.docs.get(id);
          if (cached === undefined) ask.push(id);
          else if (cached !== null) found.push(cached);
        }
        if (ask.length > 0) {
          const loaded = await store.docs(ask);
          for (const id of ask) this.setDoc(id, null);
          for (const versioned of loaded) {
            this.setDoc(versioned.doc.id, versioned);
            found.push(versioned);
          }
        }
        return found;
      },
    };
    return loader;
  }

  /** Takes in a planned batch: what the next batch must plan against. */
  absorb(writes: BatchWrites): void {
    for (const write of writes.balances) this.setBalance(write.account, write.asset, write.after);
    // A DocWrite is a VersionedDoc (its doc and version) with more fields: kept as it is.
    for (const write of writes.docs) this.setDoc(write.doc.id, write);
    if (writes.transfers.length > 0) {
      this.pending.push(writes.transfers);
      this.pendingIndex = undefined;
    }
  }

  /** The batch is durable: the store answers for its transfers from now on. */
  committed(writes: BatchWrites): void {
    if (writes.transfers.length > 0 && this.pending.length > 0) {
      const at = this.pending.indexOf(writes.transfers);
      if (at >= 0) {
        this.pending.splice(at, 1);
      } else {
        // Not the list absorb() took (a copy): its ids, wherever they are.
        const ids = new Set(writes.transfers.map((record) => record.id));
        this.pending = this.pending.map((batch) => batch.filter((record) => !ids.has(record.id))).filter((batch) => batch.length > 0);
      }
      this.pendingIndex = undefined;
    }
    if (this.size > this.capacity && this.pending.length === 0) this.clear();
  }

  clear(): void {
    this.balances = new Map();
    this.docs = new Map();
    this.pending = [];
    this.pendingIndex = undefined;
    this.size = 0;
  }

  private pendingById(): Map<string, TransferRecord> {
    if (!this.pendingIndex) {
      this.pendingIndex = new Map();
      for (const batch of this.pending) for (const record of batch) this.pendingIndex.set(record.id, record);
    }
    return this.pendingIndex;
  }

  private setBalance(account: string, asset: string, value: Cached<Balance>): void {
    let assets = this.balances.get(account);
    if (!assets) this.balances.set(account, (assets = new Map()));
    const had = assets.size;
    assets.set(asset, value);
    this.size += assets.size - had;
  }

  private setDoc(id: string, value: Cached<VersionedDoc>): void {
    const had = this.docs.size;
    this.docs.set(id, value);
    this.size += this.docs.size - had;
  }
}
