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
  /** Transfers of planned batches not yet known to be committed: the store cannot answer for them yet. */
  private readonly pending = new Map<string, TransferRecord>();
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
        const found: TransferRecord[] = [];
        const ask: string[] = [];
        for (const id of ids) {
          const record = this.pending.get(id);
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
    for (const write of writes.docs) this.setDoc(write.doc.id, { doc: write.doc, version: write.version });
    for (const record of writes.transfers) this.pending.set(record.id, record);
  }

  /** The batch is durable: the store answers for its transfers from now on. */
  committed(writes: BatchWrites): void {
    for (const record of writes.transfers) this.pending.delete(record.id);
    if (this.size > this.capacity && this.pending.size === 0) this.clear();
  }

  clear(): void {
    this.balances = new Map();
    this.docs = new Map();
    this.pending.clear();
    this.size = 0;
  }

  private setBalance(account: string, asset: string, value: Cached<Balance>): void {
    let assets = this.balances.get(account);
    if (!assets) this.balances.set(account, (assets = new Map()));
    if (!assets.has(asset)) this.size += 1;
    assets.set(asset, value);
  }

  private setDoc(id: string, value: Cached<VersionedDoc>): void {
    if (!this.docs.has(id)) this.size += 1;
    this.docs.set(id, value);
  }
}
