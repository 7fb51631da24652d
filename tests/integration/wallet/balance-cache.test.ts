import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { Registry, type Counter } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "#kit/clock/clock.js";
import { openDatabase } from "#kit/db/database.js";
import { MemoryCache } from "#kit/adapters/cache.memory.js";
import { RedisCache } from "#kit/adapters/cache.redis.js";
import type { Cache } from "#kit/ports/cache.port.js";
import { CacheBalanceCache, entryKey } from "../../../services/wallet/src/adapters/balance-cache.cache.js";
import type { SimulatedChain } from "../../../services/wallet/src/adapters/chain-gateway.simulated.js";
import { CachedLedgerStore } from "../../../services/wallet/src/adapters/ledger-store.cached.js";
import { SqlLedgerStore, type WalletDb } from "../../../services/wallet/src/adapters/ledger-store.sql.js";
import { FEE_ACCOUNT, makeCommand, type BalanceRow, type Command, type Outcome } from "../../../services/wallet/src/domain/ledger.js";
import type { BalanceCache } from "../../../services/wallet/src/ports/balance-cache.port.js";
import { createWalletModule } from "../../../services/wallet/src/main.js";
import type { LedgerStore } from "../../../services/wallet/src/ports/ledger-store.port.js";
import { BTC, USDT, ledgerStoreContract, walletOver, type LedgerStoreFixture } from "./ledger-store.contract.js";
import { env, pgDatabase, pgFixture } from "./support.js";
import { withOverrides } from "../../../services/wallet/src/adapters/ledger-store.overrides.js";

// The optional read cache for balances (CachedLedgerStore over CacheBalanceCache on the kit's Cache port),
// against the real Redis of tests/infra/up.sh and the embedded MemoryCache (one instance per key prefix stands for
// one Redis that replicas share). Every cache gets its own key prefix.

const TTL_MS = 30_000;
const dir = mkdtempSync(join(tmpdir(), "wallet-cache-"));
const prefixOf = () => `wallet-test:${randomUUID().slice(0, 8)}:`;
let files = 0;
let ids = 0;
const uid = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(ids += 1)}`;

const opened: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const item of opened.reverse()) await item.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

function sqliteStore(): Promise<SqlLedgerStore> {
  return SqlLedgerStore.open(openDatabase<WalletDb>(`sqlite:${join(dir, `ledger-${(files += 1)}.sqlite`)}`));
}

/** A handle on a shared cache whose close leaves it open for the other handles (closed at the end). */
function handle(cache: Cache): Cache {
  return {
    get: (key) => cache.get(key),
    set: (key, value, options) => cache.set(key, value, options),
    setIfAbsent: (key, value, options) => cache.setIfAbsent(key, value, options),
    compareAndSet: (key, expected, value, options) => cache.compareAndSet(key, expected, value, options),
    delete: (key) => cache.delete(key),
    increment: (key, ttlMs, by) => cache.increment(key, ttlMs, by),
    close: async () => undefined,
  };
}

const memories = new Map<string, MemoryCache>();
const engines = [
  { engine: "Redis", cacheOf: (prefix: string): Cache => new RedisCache({ url: env.redisUrl, keyPrefix: prefix, commandTimeoutMs: 1_000 }) },
  {
    engine: "memory",
    cacheOf: (prefix: string): Cache => {
      let memory = memories.get(prefix);
      if (!memory) {
        memories.set(prefix, (memory = new MemoryCache()));
        opened.push(memory);
      }
      return handle(memory);
    },
  },
];

function balanceCache(cacheOf: (prefix: string) => Cache, prefix: string): CacheBalanceCache {
  return new CacheBalanceCache({ cache: cacheOf(prefix), ttlMs: TTL_MS });
}


/** A replica: its own decorator and Redis connection over a (possibly shared) store. */
function replica(store: LedgerStore, cache: BalanceCache): CachedLedgerStore {
  const cached = new CachedLedgerStore({ store, cache, ttlMs: TTL_MS });
  opened.push({ close: () => cache.close() });
  return cached;
}


/** The store's own close stays with the test; the decorator must not close a shared store twice. */
const shared = (store: LedgerStore): LedgerStore => withOverrides(store, { close: async () => undefined });

const count = async (counter: Counter) => (await counter.get()).values.reduce((sum, value) => sum + value.value, 0);

async function rawRedis(): Promise<Redis> {
  const redis = new Redis(env.redisUrl);
  opened.push({ close: async () => void (await redis.quit()) });
  return redis;
}

describe.each(engines)("balance cache on $engine", ({ engine, cacheOf }) => {
  describe("balance cache: reads", () => {
    it("serves from the cache what the store has, exactly (amounts past 2^64)", async () => {
      const store = await sqliteStore();
      opened.push(store);
      const cached = replica(shared(store), balanceCache(cacheOf, prefixOf()));
      const { wallet } = walletOver(cached);
      const account = uid("acct");
      const huge = 123_456_789_012_345_678_901_234_567_890_123n;
      await wallet.creditDeposit(uid("d"), account, "ETH", huge);
      await wallet.creditDeposit(uid("d"), account, "BTC", BTC("0.00000001"));

      const first = await cached.balances(account);
      expect(await count(cached.metrics.misses)).toBe(1);
      expect(await count(cached.metrics.fills)).toBe(1);
      const second = await cached.balances(account);
      expect(await count(cached.metrics.hits)).toBe(1);
      expect(second).toEqual(await store.balances(account));
      expect(first).toEqual(second);
      expect(second.find((row) => row.asset === "ETH")?.available).toBe(huge);
      // An account without balances is cached as empty, too.
      const nobody = uid("nobody");
      expect(await cached.balances(nobody)).toEqual([]);
      expect(await cached.balances(nobody)).toEqual([]);
      expect(await count(cached.metrics.hits)).toBe(2);
    });
  });

  describe("balance cache: every command kind invalidates what it changed", () => {
    for (const batching of [false, true]) {
      it(`shows the new balance on the next read after each command${batching ? " (group commit)" : ""}`, async () => {
        const store = await sqliteStore();
        opened.push(store);
        const cached = replica(shared(store), balanceCache(cacheOf, prefixOf()));
        const clock = new ManualClock(1_700_000_000_000);
        const { wallet, chain } = walletOver(cached, { clock, batching });
        const buyer = uid("buyer");
        const seller = uid("seller");
        const other = uid("other");
        const accounts = [buyer, seller, other, FEE_ACCOUNT];

        // Cache every account, and prove the entries are there (a second read is a hit).
        const warm = async () => {
          for (const account of accounts) await cached.balances(account);
          const hits = await count(cached.metrics.hits);
          for (const account of accounts) await cached.balances(account);
          expect(await count(cached.metrics.hits)).toBe(hits + accounts.length);
        };
        const expectFresh = async (step: string) => {
          for (const account of accounts) expect([step, account, await cached.balances(account)]).toEqual([step, account, await store.balances(account)]);
        };
        const step = async (name: string, action: () => Promise<unknown>) => {
          await warm();
          await action();
          await expectFresh(name);
        };

        await step("deposit", () => wallet.creditDeposit(uid("d"), buyer, "USDT", USDT("1000")));
        await step("deposit seller", () => wallet.creditDeposit(uid("d"), seller, "BTC", BTC("30")));
        const buyerHold = uid("h");
        const sellerHold = uid("h");
        await step("hold", () => wallet.createHold({ holdId: buyerHold, account: buyer, asset: "USDT", amount: USDT("600"), timeoutMs: 0 }));
        await step("hold seller", () => wallet.createHold({ holdId: sellerHold, account: seller, asset: "BTC", amount: BTC("1"), timeoutMs: 0 }));
        const trade = {
          tradeId: uid("t"),
          symbol: "BTCUSDT",
          baseAsset: "BTC",
          quoteAsset: "USDT",
          buyer,
          seller,
          buyerHoldId: buyerHold,
          sellerHoldId: sellerHold,
          base: BTC("0.01"),
          quote: USDT("500"),
          buyerIsMaker: true,
        };
        await step("settle (buyer, seller, fee account)", () => wallet.settleTrade(trade));
        await step("void", () => wallet.voidHold(buyerHold));
        const expiring = uid("h");
        await step("hold with timeout", () => wallet.createHold({ holdId: expiring, account: buyer, asset: "USDT", amount: USDT("10"), timeoutMs: 1_000 }));
        await step("expiry", async () => {
          clock.advance(2_000);
          expect(await wallet.expireHolds()).toBe(1);
        });
        await step("transfer", () => wallet.transfer({ transferId: uid("x"), from: buyer, to: other, asset: "USDT", amount: USDT("1") }));
        await step("withdrawal request + complete (fee account)", () =>
          wallet.requestWithdrawal({ withdrawalId: uid("w"), account: seller, asset: "BTC", network: "BTC", amount: BTC("1"), address: "bc1q", memo: "", totpCode: "" }),
        );
        const large = uid("w");
        await step("withdrawal awaiting approval", () =>
          wallet.requestWithdrawal({ withdrawalId: large, account: seller, asset: "BTC", network: "BTC", amount: BTC("11"), address: "bc1q", memo: "", totpCode: "" }),
        );
        await step("approve + complete", () => wallet.approveWithdrawal(large));
        const rejected = uid("w");
        await step("withdrawal awaiting approval (2)", () =>
          wallet.requestWithdrawal({ withdrawalId: rejected, account: seller, asset: "BTC", network: "BTC", amount: BTC("12"), address: "bc1q", memo: "", totpCode: "" }),
        );
        await step("reject", () => wallet.rejectWithdrawal(rejected, "test"));
        await step("chain deposit", async () => {
          const { address, memo } = await wallet.depositAddress(other, "BTC", "BTC");
          const simulated = chain as SimulatedChain;
          simulated.receive("BTC", address, memo, "BTC", BTC("0.5"));
          simulated.mine(2);
          await wallet.syncDeposits();
        });
        expect((await store.balances(other)).find((row) => row.asset === "BTC")?.available).toBe(BTC("0.5"));
        expect(await count(cached.metrics.errors)).toBe(0);
      });
    }

    it("invalidates every named account when execute fails after the store may have committed", async () => {
      const store = await sqliteStore();
      opened.push(store);
      // The commit happens, then the acknowledgement is lost.
      const lossy = withOverrides(store, {
        execute: async (commands: readonly Command[]): Promise<Outcome[]> => {
          await store.execute(commands);
          throw new Error("connection reset after commit");
        },
        close: async () => undefined,
      });
      const cached = replica(lossy, balanceCache(cacheOf, prefixOf()));
      const account = uid("acct");
      await store.execute([makeCommand(uid("d"), 1, { kind: "deposit", depositId: "a", account, asset: "BTC", network: "internal", amount: 5n, txId: uid("tx"), confirmations: 0, required: 0 })]);
      expect((await cached.balances(account))[0]?.available).toBe(5n);
      await expect(
        cached.execute([makeCommand(uid("d"), 2, { kind: "deposit", depositId: "b", account, asset: "BTC", network: "internal", amount: 7n, txId: uid("tx"), confirmations: 0, required: 0 })]),
      ).rejects.toThrow("connection reset");
      expect((await cached.balances(account))[0]?.available).toBe(12n);
    });
  });

  /** A store whose balance reads return what they read, then wait until `release()`. */
  function pausedReads(store: LedgerStore) {
    let readDone!: () => void;
    let release!: () => void;
    const done = new Promise<void>((resolve) => (readDone = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    const wrapped = withOverrides(store, {
      balances: async (account: string): Promise<BalanceRow[]> => {
        const rows = await store.balances(account);
        readDone();
        await gate;
        return rows;
      },
      close: async () => undefined,
    });
    return { store: wrapped, readDone: done, release: () => release() };
  }

  describe("balance cache: the fill race", () => {
    for (const where of ["the same replica", "another replica"]) {
      it(`never caches a value read before a write that committed and invalidated meanwhile (writer on ${where})`, async () => {
        const store = await sqliteStore();
        opened.push(store);
        const prefix = prefixOf();
        const paused = pausedReads(store);
        const reader = replica(paused.store, balanceCache(cacheOf, prefix));
        const writer = where === "the same replica" ? reader : replica(shared(store), balanceCache(cacheOf, prefix));
        const account = uid("acct");
        const deposit = (amount: bigint) =>
          makeCommand(uid("d"), 1, { kind: "deposit", depositId: uid("d"), account, asset: "USDT", network: "internal", amount, txId: uid("tx"), confirmations: 0, required: 0 });
        await store.execute([deposit(100n)]);

        // Reader A misses and reads the store (100), then stalls before filling.
        const read = reader.balances(account);
        await paused.readDone;
        // Writer B commits (+1) and invalidates while A is stalled.
        const [outcome] = await writer.execute([deposit(1n)]);
        expect(outcome?.ok).toBe(true);
        // A resumes: it answers what it read, but its fill must be refused.
        paused.release();
        expect((await read)[0]?.available).toBe(100n);
        expect(await count(reader.metrics.fillsRefused)).toBe(1);
        expect(await count(reader.metrics.fills)).toBe(0);

        // Nothing stale was stored: the next reads (any replica) see 101, first a miss, then a hit.
        const fresh = replica(shared(store), balanceCache(cacheOf, prefix));
        expect((await fresh.balances(account))[0]?.available).toBe(101n);
        expect(await count(fresh.metrics.misses)).toBe(1);
        expect((await fresh.balances(account))[0]?.available).toBe(101n);
        expect((await reader.balances(account))[0]?.available).toBe(101n);
        expect(await count(fresh.metrics.hits)).toBe(1);
      });
    }

    it("refuses a fill whose entry expired or was evicted in between", async () => {
      const prefix = prefixOf();
      const shared = cacheOf(prefix);
      const cache = balanceCache(cacheOf, prefix);
      opened.push(cache, shared);
      const account = uid("acct");
      const { generation } = await cache.lookup(account);
      await shared.delete(entryKey(account));
      // A later reader recreates the generation: a new token, never the old one.
      const later = await cache.lookup(account);
      expect(later.generation).not.toBe(generation);
      expect(await cache.fill(account, generation, [{ account, asset: "BTC", available: 1n, locked: 0n, pending: 0n }])).toBe(false);
      expect(await cache.fill(account, later.generation, [{ account, asset: "BTC", available: 2n, locked: 0n, pending: 0n }])).toBe(true);
      expect(await cache.fill(account, later.generation, [{ account, asset: "BTC", available: 3n, locked: 0n, pending: 0n }])).toBe(false); // filled once
      expect((await cache.lookup(account)).rows?.[0]?.available).toBe(2n);
      if (engine === "Redis") {
        const ttl = await (await rawRedis()).pttl(`${prefix}${entryKey(account)}`);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(TTL_MS);
      }
    });
  });

  describe(`balance cache: replicas on one ${engine} cache and one PostgreSQL`, () => {
    let database: { url: string; drop(): Promise<void> };
    let stores: SqlLedgerStore[];
    beforeAll(async () => {
      database = await pgDatabase();
      stores = [await SqlLedgerStore.open(openDatabase<WalletDb>(database.url)), await SqlLedgerStore.open(openDatabase<WalletDb>(database.url))];
    });
    afterAll(async () => {
      for (const store of stores ?? []) await store.close();
      await database?.drop(); // WITH (FORCE): a connection still closing is ended
    });

    it("each replica reads the other's writes, and hits what the other filled", async () => {
      const prefix = prefixOf();
      const [a, b] = [replica(shared(stores[0]!), balanceCache(cacheOf, prefix)), replica(shared(stores[1]!), balanceCache(cacheOf, prefix))];
      const [walletA, walletB] = [walletOver(a, { batching: true }).wallet, walletOver(b).wallet];
      const alice = uid("alice");
      const bob = uid("bob");
      await walletA.creditDeposit(uid("d"), alice, "USDT", USDT("100"));
      const usdt = async (store: LedgerStore, account: string) => (await store.balances(account)).find((row) => row.asset === "USDT")?.available ?? 0n;

      expect(await usdt(a, alice)).toBe(USDT("100"));
      expect(await usdt(b, alice)).toBe(USDT("100"));
      expect(await count(b.metrics.hits)).toBe(1);
      expect(await usdt(a, bob)).toBe(0n);

      await walletB.transfer({ transferId: uid("x"), from: alice, to: bob, asset: "USDT", amount: USDT("40") });
      expect([await usdt(a, alice), await usdt(a, bob)]).toEqual([USDT("60"), USDT("40")]);
      await walletA.transfer({ transferId: uid("x"), from: bob, to: alice, asset: "USDT", amount: USDT("1") });
      expect([await usdt(b, alice), await usdt(b, bob)]).toEqual([USDT("61"), USDT("39")]);

      // Concurrent writers and readers on both replicas: afterwards every cached read is the store's.
      await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const wallet = i % 2 ? walletA : walletB;
          await wallet.transfer({ transferId: uid("c"), from: i % 4 < 2 ? alice : bob, to: i % 4 < 2 ? bob : alice, asset: "USDT", amount: 1n }).catch(() => undefined);
          await (i % 3 ? a : b).balances(i % 2 ? alice : bob);
        }),
      );
      for (const replicaStore of [a, b]) for (const account of [alice, bob]) expect(await replicaStore.balances(account)).toEqual(await stores[0]!.balances(account));
    });
  });

  describe("balance cache: a failed invalidation", () => {
    it("retries a failed invalidation, and reads the account from the store until it succeeds", async () => {
      const store = await sqliteStore();
      opened.push(store);
      const prefix = prefixOf();
      const real = balanceCache(cacheOf, prefix);
      let broken = false;
      const flaky: BalanceCache = {
        lookup: (account) => real.lookup(account),
        fill: (account, generation, rows) => real.fill(account, generation, rows),
        invalidate: (accounts) => (broken ? Promise.reject(new Error("connection lost")) : real.invalidate(accounts)),
        close: () => real.close(),
      };
      const writer = new CachedLedgerStore({ store: shared(store), cache: flaky, ttlMs: TTL_MS, retryEveryMs: 60_000 });
      opened.push({ close: () => writer.close() });
      const other = replica(shared(store), balanceCache(cacheOf, prefix));
      const { wallet } = walletOver(writer);
      const account = uid("acct");
      await wallet.creditDeposit(uid("d"), account, "BTC", 10n);
      expect((await other.balances(account))[0]?.available).toBe(10n);

      broken = true;
      await wallet.creditDeposit(uid("d"), account, "BTC", 5n);
      expect(await count(writer.metrics.errors)).toBe(1);
      // The writer's replica reads around the cache; another replica may still hit the old entry (bounded by the TTL).
      expect((await writer.balances(account))[0]?.available).toBe(15n);
      expect(await count(writer.metrics.bypassed)).toBe(1);
      expect((await other.balances(account))[0]?.available).toBe(10n);

      broken = false;
      await writer.retryPending();
      expect((await other.balances(account))[0]?.available).toBe(15n);
      expect((await writer.balances(account))[0]?.available).toBe(15n);
      expect(await count(writer.metrics.bypassed)).toBe(1);
    });
  });

  // The LedgerStore contract through the decorator: it must keep the port's semantics.
  const cachedPgFixture = async (): Promise<LedgerStoreFixture> => {
    const fixture = await pgFixture();
    return { store: new CachedLedgerStore({ store: fixture.store, cache: balanceCache(cacheOf, prefixOf()), ttlMs: TTL_MS }), forceNegative: fixture.forceNegative };
  };
  ledgerStoreContract(`PostgreSQL + ${engine} balance cache`, cachedPgFixture);
  ledgerStoreContract(`PostgreSQL + ${engine} balance cache`, cachedPgFixture, { batching: true });
});

describe("balance cache: Redis failures", () => {
  it("reads and writes still work with Redis unreachable (a closed port), counted as errors", async () => {
    const store = await sqliteStore();
    opened.push(store);
    const cached = replica(shared(store), new CacheBalanceCache({ cache: new RedisCache({ url: "redis://127.0.0.1:1", keyPrefix: prefixOf(), commandTimeoutMs: 200, onError: () => undefined }), ttlMs: TTL_MS }));
    const { wallet } = walletOver(cached, { batching: true });
    const account = uid("acct");
    const started = Date.now();
    await wallet.creditDeposit(uid("d"), account, "BTC", BTC("2"));
    expect((await cached.balances(account))[0]?.available).toBe(BTC("2"));
    await wallet.createHold({ holdId: uid("h"), account, asset: "BTC", amount: BTC("0.5"), timeoutMs: 0 });
    expect(await cached.balances(account)).toEqual(await store.balances(account));
    expect((await cached.balances(account))[0]?.locked).toBe(BTC("0.5"));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await count(cached.metrics.errors)).toBeGreaterThan(0);
    expect(await count(cached.metrics.hits)).toBe(0);
  });
});

describe("balance cache: wiring", () => {
  it("createWalletModule caches balance reads when a cache URL is configured, and exports the counters", async () => {
    const metrics = new Registry();
    const module = await createWalletModule({ ledgerUrl: `sqlite:${join(dir, "module.sqlite")}`, cacheUrl: env.redisUrl, metrics, tickMs: 0 });
    try {
      expect(module.parts.store).toBeInstanceOf(CachedLedgerStore);
      const account = uid("acct");
      await module.parts.wallet.creditDeposit(uid("d"), account, "BTC", 3n);
      await module.parts.wallet.balances(account);
      expect((await module.parts.wallet.balances(account))[0]?.available).toBe(3n);
      expect(await metrics.metrics()).toMatch(/wallet_balance_cache_hits_total 1/);
    } finally {
      await module.stop?.();
    }
    const plain = await createWalletModule({ ledgerUrl: `sqlite:${join(dir, "module-plain.sqlite")}`, tickMs: 0 });
    expect(plain.parts.store).toBeInstanceOf(SqlLedgerStore);
    await plain.stop?.();
  });
});
