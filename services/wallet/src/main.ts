import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { systemClock, type Clock } from "#kit/clock/clock.js";
import { isConnectionFailure, unreachable } from "#kit/config/config-error.js";
import { openDatabase, type Database } from "#kit/db/database.js";
import type { ServiceModule } from "#kit/rpc/service-module.js";
import type { Logger } from "#kit/telemetry/logger.js";
import { tracedMethods } from "#kit/telemetry/tracing.js";
import type { Registry } from "prom-client";
import { SimulatedChain } from "./adapters/chain-gateway.simulated.js";
import { SqlLedgerStore, type WalletDb } from "./adapters/ledger-store.sql.js";
import { SqlLedgerNoticeSource } from "./adapters/notice-source.sql.js";
import { OutboxRelay } from "#kit/outbox/outbox-relay.js";
import type { Notifier } from "#kit/ports/notifier.port.js";
import { MemoryFeeTiers } from "./adapters/fee-tier.memory.js";
import { EmbeddedMfaVerifier } from "./adapters/mfa-verifier.embedded.js";
import { AssetRegistry } from "./domain/assets.js";
import { CommandBatcher } from "./domain/command-batcher.js";
import { Wallet } from "./domain/wallet.use-case.js";
import type { ChainGateway } from "./ports/chain-gateway.port.js";
import type { FeeTierSource } from "./ports/fee-tier.port.js";
import type { LedgerStore } from "./ports/ledger-store.port.js";
import type { MfaVerifier } from "./ports/mfa-verifier.port.js";
import { simulatedChainHttpRoute } from "./rpc/simulated-chain.http.js";
import { walletRoutes } from "./rpc/wallet.routes.js";
import type { RunningHistoryProjection } from "./history-projection.module.js";
import { walletAudit } from "./audit.module.js";

export interface WalletConfig {
  /** The store of record: sqlite:<file> (embedded), postgres://..., or dynamodb:<table>. */
  readonly ledgerUrl: string;
  /** DynamoDB endpoint (moto / LocalStack); unset: the SDK's default for the region. */
  readonly awsEndpoint?: string;
  readonly clock?: Clock;
  readonly chain?: ChainGateway;
  readonly mfa?: MfaVerifier;
  readonly tiers?: FeeTierSource;
  /** Group commit in front of SQL stores (default on). */
  readonly batching?: boolean;
  /** How often the ledger's clock expires holds and the chain is read for deposits (ms; 0: never). */
  readonly tickMs?: number;
  /** With the simulated chain: mine one block per tick and accept transfers at /simulated-chain/transfers. */
  readonly simulatedChainFaucet?: boolean;
  /** redis://... or rediss://...: cache balance reads there (shared by replicas); unset: no cache. */
  readonly cacheUrl?: string;
  /** How long a cached balance lives: the staleness bound if an invalidation is lost (ms, default 30 000). */
  readonly cacheTtlMs?: number;
  /** Where the cache's metrics are registered (the service's /metrics). */
  readonly metrics?: Registry;
  readonly logger?: Logger;
  /**
   * Deposits and withdrawals are read from the ledger's history and published to this topic (SQL ledgers; a
   * DynamoDB ledger publishes none yet).
   */
  readonly notifications?: { readonly notifier: Notifier; readonly topic: string };
  /** With a DynamoDB store: the PostgreSQL projection that serves history and is reconciled with it. */
  readonly projectionPgUrl?: string;
  /** How often the projection polls the stream / reconciles balances (ms). */
  readonly projectionPollMs?: number;
  readonly reconcileMs?: number;
  /** How often the conservation invariant and the withdrawal queues are audited into `metrics` (ms; 0: never). */
  readonly auditMs?: number;
}


/** Opens the configured store of record. */
export async function openLedgerStore(url: string, awsEndpoint?: string): Promise<LedgerStore> {
  if (url.startsWith("dynamodb:")) {
    const { DynamoLedgerStore } = await import("./adapters/ledger-store.dynamodb.js");
    try {
      return await DynamoLedgerStore.open({ table: url.slice("dynamodb:".length), endpoint: awsEndpoint });
    } catch (error) {
      // An endpoint that does not answer is EXCHANGE_AWS_ENDPOINT's fault; AWS's own answers stay as they are.
      if (awsEndpoint && isConnectionFailure(error)) throw unreachable("DynamoDB", awsEndpoint, error);
      throw error;
    }
  }
  return SqlLedgerStore.open(openDatabase<WalletDb>(url));
}

/** Puts the optional shared balance cache in front of the store's balance reads. */
export async function withBalanceCache(store: LedgerStore, config: Pick<WalletConfig, "cacheUrl" | "cacheTtlMs" | "metrics" | "logger">): Promise<LedgerStore> {
  if (!config.cacheUrl) return store;
  const [{ RedisBalanceCache }, { CachedLedgerStore }] = await Promise.all([import("./adapters/balance-cache.redis.js"), import("./adapters/ledger-store.cached.js")]);
  const logger = config.logger;
  const cache = new RedisBalanceCache({
    url: config.cacheUrl,
    ttlMs: config.cacheTtlMs,
    onConnectionError: (error) => logger?.warn({ err: error }, "wallet balance cache: Redis unreachable; reading the store"),
  });
  return new CachedLedgerStore({ store, cache, ttlMs: cache.ttlMs, registry: config.metrics, logger });
}

export interface WalletParts {
  readonly store: LedgerStore;
  readonly wallet: Wallet;
  readonly chain: ChainGateway;
  readonly mfa: MfaVerifier;
  readonly tiers: FeeTierSource;
  readonly batcher?: CommandBatcher;
}

export function composeWallet(store: LedgerStore, options: Omit<WalletConfig, "ledgerUrl" | "awsEndpoint" | "tickMs"> = {}): WalletParts {
  const clock = options.clock ?? systemClock;
  const chain = options.chain ?? new SimulatedChain();
  const mfa = options.mfa ?? new EmbeddedMfaVerifier(clock);
  const batcher = store.engine !== "dynamodb" && (options.batching ?? true) ? new CommandBatcher(store) : undefined;
  const tiers = options.tiers ?? new MemoryFeeTiers();
  const wallet = new Wallet({ store, executor: batcher ?? store, assets: new AssetRegistry(), clock, chain, mfa, tiers });
  return { store, wallet, chain, mfa, tiers, batcher };
}

/** The relay of deposit and withdrawal notices, over its own connection to a SQL ledger. */
async function noticeRelay(config: WalletConfig, parts: WalletParts): Promise<{ relay: OutboxRelay; database: Database<unknown> } | undefined> {
  // A DynamoDB ledger has no wallet_history; an in-memory SQLite one cannot be opened twice.
  if (!config.notifications || config.ledgerUrl.startsWith("dynamodb:") || config.ledgerUrl === "sqlite::memory:") return undefined;
  const database = openDatabase<unknown>(config.ledgerUrl);
  const source = await SqlLedgerNoticeSource.open(database.db, parts.wallet.assets);
  const relay = new OutboxRelay({
    source,
    notifier: config.notifications.notifier,
    topic: config.notifications.topic,
    onError: (error) => config.logger?.warn({ err: error }, "wallet notifications not relayed; retrying"),
  });
  return { relay, database };
}

/** How often the module looks for withdrawals left pending (Wallet.resumeWithdrawals). */
const RESUME_WITHDRAWALS_MS = 15_000;

/** Composition root of the wallet service. */
export async function createWalletModule(config: WalletConfig): Promise<ServiceModule & { readonly parts: WalletParts; readonly history?: RunningHistoryProjection; readonly notices?: OutboxRelay }> {
  // With tracing on, each commit to the store of record is a span (under SettleTrades, CreateHold, ...).
  const recordStore = tracedMethods(await openLedgerStore(config.ledgerUrl, config.awsEndpoint), "wallet.ledger", ["execute"]);
  const { projectionFor, historyFrom } = await import("./history-projection.module.js");
  const history = await projectionFor(recordStore, { ...config, pgUrl: config.projectionPgUrl, pollMs: config.projectionPollMs, reconcileMs: config.reconcileMs });
  const cached = await withBalanceCache(recordStore, config);
  const store = history ? historyFrom(cached, history.projection) : cached;
  const parts = composeWallet(store, config);
  const relay = await noticeRelay(config, parts);
  let timer: NodeJS.Timeout | undefined;
  let ticking = false;
  const faucet = config.simulatedChainFaucet && parts.chain instanceof SimulatedChain ? parts.chain : undefined;
  const audit = config.metrics
    ? walletAudit({ store: parts.store, registry: config.metrics, clock: config.clock ?? systemClock, everyMs: config.auditMs ?? 60_000, logger: config.logger })
    : undefined;
  return {
    name: "wallet",
    serviceNames: [WalletService.typeName],
    routes: walletRoutes({ wallet: parts.wallet }),
    httpRoute: faucet ? simulatedChainHttpRoute(faucet, parts.wallet.assets) : undefined,
    parts,
    history,
    notices: relay?.relay,
    start: async () => {
      history?.start();
      audit?.start();
      relay?.relay.start();
      const every = config.tickMs ?? 1000;
      if (every <= 0) return;
      // Stuck withdrawals are looked for far less often than holds expire: each look is a due-time
      // query (a table scan on DynamoDB), and a withdrawal only counts as stuck after 30 s anyway.
      const resumeEvery = Math.max(1, Math.round(RESUME_WITHDRAWALS_MS / every));
      let tick = 0;
      timer = setInterval(() => {
        if (ticking) return;
        ticking = true;
        faucet?.mine();
        tick += 1;
        const resume = tick % resumeEvery === 0 ? parts.wallet.resumeWithdrawals() : undefined;
        void Promise.all([parts.wallet.expireHolds(), parts.wallet.syncDeposits(), resume])
          .catch(() => undefined)
          .finally(() => {
            ticking = false;
          });
      }, every);
      timer.unref();
    },
    stop: async () => {
      if (timer) clearInterval(timer);
      await audit?.stop();
      await relay?.relay.stop();
      await relay?.database.close();
      await history?.stop();
      await store.close();
    },
  };
}
