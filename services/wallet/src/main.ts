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
import { SqlLedgerArchiveSource } from "./adapters/ledger-archive-source.sql.js";
import { SqlBalanceUpdateSource } from "./adapters/balance-update-source.sql.js";
import { CommitSignal, signallingCommits } from "./domain/commit-signal.js";
import { FollowBalanceUpdates } from "./domain/follow-balance-updates.use-case.js";
import { AccountStatement } from "./domain/account-statement.use-case.js";
import { ArchiveLedgerDay } from "./domain/archive-ledger-day.use-case.js";
import { VerifyLedgerArchive } from "./domain/verify-ledger-archive.use-case.js";
import { LEDGER_TABLE } from "./domain/ledger-archive.js";
import { partitionPrefix, readManifest, utcDay } from "#kit/archive/daily-partition.js";
import { FileObjectStore } from "#kit/adapters/object-store.file.js";
import { objectDownloadRoute } from "#kit/adapters/object-download.http.js";
import type { ObjectStore } from "#kit/ports/object-store.port.js";
import { OutboxRelay } from "#kit/outbox/outbox-relay.js";
import type { Notifier } from "#kit/ports/notifier.port.js";
import { MemoryFeeTiers } from "./adapters/fee-tier.memory.js";
import { SqlFeeTierStore } from "./adapters/fee-tier-store.sql.js";
import { AssignFeeTiers } from "./domain/assign-fee-tiers.use-case.js";
import { dayOf } from "./domain/fee-tier-assignment.js";
import { FeeTierBook } from "./domain/fee-tier-book.js";
import { FeeSchedule } from "./domain/fees.js";
import { OverrideFeeTier } from "./domain/override-fee-tier.use-case.js";
import { recordingVolume, TradeVolumeRecorder } from "./domain/record-trade-volume.js";
import { feeTierAdminRoutes } from "./rpc/fee-tier-admin.routes.js";
import { FeeTierAdminService } from "#gen/exchange/admin/v1/fee_tier_pb.js";
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
import { withdrawalAdminRoutes } from "./rpc/withdrawal-admin.routes.js";
import { ReviewWithdrawal } from "./domain/review-withdrawal.use-case.js";
import { AdjustBalance } from "./domain/adjust-balance.use-case.js";
import { adjustmentAdminRoutes } from "./rpc/adjustment-admin.routes.js";
import { AdjustmentAdminService, WithdrawalAdminService } from "#gen/exchange/admin/v1/admin_pb.js";
import { lazySqlAuditLog } from "#kit/audit/audit-log.sql.js";
import { DomainError } from "#kit/errors/domain-error.js";
import type { OperatorGate } from "#kit/ports/operator-gate.port.js";
import type { AuditLog } from "#kit/ports/audit-log.port.js";
import type { RunningHistoryProjection } from "./history-projection.module.js";
import { walletAudit } from "./audit.module.js";

export interface WalletConfig {
  /** The store of record: sqlite:<file> (embedded), postgres://..., or dynamodb:<table>. */
  readonly ledgerUrl: string;
  /** Who may run the back office (WithdrawalAdminService, AdjustmentAdminService); none: its RPCs answer Unimplemented. */
  readonly operators?: OperatorGate;
  /** The back office's audit log (sqlite:<file> or postgres://...), opened on first use; default: in memory. */
  readonly auditUrl?: string;
  /** DynamoDB endpoint (moto / LocalStack); unset: the SDK's default for the region. */
  readonly awsEndpoint?: string;
  readonly clock?: Clock;
  readonly chain?: ChainGateway;
  readonly mfa?: MfaVerifier;
  /** Fee tiers set by hand instead of the persisted, volume-assigned ones (tests, tools). */
  readonly tiers?: FeeTierSource;
  /** The fee schedule: rates and 30-day volume thresholds per tier (default DEFAULT_FEE_TIERS, volume in USDT). */
  readonly fees?: FeeSchedule;
  /** How often trades' volume is written to the fee-tier store, and other replicas' tier changes read (ms). */
  readonly feeTierFlushMs?: number;
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
  /**
   * Daily Parquet archives of the ledger (ledger/date=YYYY-MM-DD/) and account statements in this object store
   * (SQL ledgers). Yesterday (UTC) is archived every `everyMs` unless its manifest exists (0: only on request).
   */
  readonly archives?: { readonly objects: ObjectStore; readonly everyMs?: number };
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

/** Puts the optional shared balance cache (the kit's RedisCache at `cacheUrl`) in front of the store's balance reads. */
export async function withBalanceCache(store: LedgerStore, config: Pick<WalletConfig, "cacheUrl" | "cacheTtlMs" | "metrics" | "logger">): Promise<LedgerStore> {
  if (!config.cacheUrl) return store;
  const [{ RedisCache }, { throttledReporter }, { CacheBalanceCache }, { CachedLedgerStore }] = await Promise.all([
    import("#kit/adapters/cache.redis.js"),
    import("#kit/adapters/redis-connection.js"),
    import("./adapters/balance-cache.cache.js"),
    import("./adapters/ledger-store.cached.js"),
  ]);
  const logger = config.logger;
  const cache = new CacheBalanceCache({
    // Fail fast (250 ms, at once while reconnecting): a read that cannot use the cache reads the store.
    cache: new RedisCache({
      url: config.cacheUrl,
      keyPrefix: "wallet:",
      commandTimeoutMs: 250,
      // ioredis reports every reconnect attempt: one line per 10 s.
      onError: throttledReporter((error) => logger?.warn({ err: error }, "wallet balance cache: Redis unreachable; reading the store")),
    }),
    ttlMs: config.cacheTtlMs,
  });
  return new CachedLedgerStore({ store, cache, ttlMs: cache.ttlMs, registry: config.metrics, logger });
}

export interface WalletParts {
  readonly store: LedgerStore;
  readonly wallet: Wallet;
  readonly chain: ChainGateway;
  readonly mfa: MfaVerifier;
  readonly tiers: FeeTierSource;
  readonly fees: FeeSchedule;
  readonly batcher?: CommandBatcher;
  /** Settled trades' volume on its way to the fee-tier store (when tiers are assigned from volume). */
  readonly volumes?: TradeVolumeRecorder;
  /** Notified after this process commits a command that can make a balance update. */
  readonly commits: CommitSignal;
}

export function composeWallet(
  store: LedgerStore,
  options: Omit<WalletConfig, "ledgerUrl" | "awsEndpoint" | "tickMs"> & { readonly volumes?: TradeVolumeRecorder } = {},
): WalletParts {
  const clock = options.clock ?? systemClock;
  const chain = options.chain ?? new SimulatedChain();
  const mfa = options.mfa ?? new EmbeddedMfaVerifier(clock);
  const batcher = store.engine !== "dynamodb" && (options.batching ?? true) ? new CommandBatcher(store) : undefined;
  const tiers = options.tiers ?? new MemoryFeeTiers();
  const fees = options.fees ?? new FeeSchedule();
  const commits = new CommitSignal();
  const executor = signallingCommits(options.volumes ? recordingVolume(batcher ?? store, options.volumes) : (batcher ?? store), commits);
  const wallet = new Wallet({ store, executor, assets: new AssetRegistry(), clock, chain, mfa, tiers, fees });
  return { store, wallet, chain, mfa, tiers, fees, batcher, volumes: options.volumes, commits };
}

/**
 * Fee tiers kept in wallet's back-office database (the audit log's: `auditUrl`), assigned from each account's
 * 30-day volume; settlement reads them from memory (FeeTierBook).
 */
async function feeTiersOf(config: WalletConfig) {
  const store = await SqlFeeTierStore.open(openDatabase(config.auditUrl ?? "sqlite::memory:"));
  return { store, book: new FeeTierBook(store), volumes: new TradeVolumeRecorder(store) };
}

/** The relay of deposit and withdrawal notices, over its own connection to a SQL ledger. */
async function noticeRelay(config: WalletConfig, parts: WalletParts, database: Database<unknown> | undefined): Promise<{ relay: OutboxRelay } | undefined> {
  // A DynamoDB ledger has no wallet_history; an in-memory SQLite one cannot be opened twice.
  if (!config.notifications || !database) return undefined;
  const source = await SqlLedgerNoticeSource.open(database.db, parts.wallet.assets);
  const relay = new OutboxRelay({
    source,
    notifier: config.notifications.notifier,
    topic: config.notifications.topic,
    onError: (error) => config.logger?.warn({ err: error }, "wallet notifications not relayed; retrying"),
  });
  return { relay };
}

/**
 * A second connection to a SQL ledger for the readers beside the store (balance updates, notices, archives); none for
 * DynamoDB or :memory:.
 */
function ledgerReader(config: WalletConfig): Database<unknown> | undefined {
  if (config.ledgerUrl.startsWith("dynamodb:") || config.ledgerUrl === "sqlite::memory:") return undefined;
  return openDatabase<unknown>(config.ledgerUrl);
}

/** StreamBalanceUpdates over the ledger's history (SQL ledgers), woken by this process's commits. */
function balanceUpdatesOf(parts: WalletParts, database: Database<unknown> | undefined): FollowBalanceUpdates | undefined {
  if (!database) return undefined;
  return new FollowBalanceUpdates({ source: new SqlBalanceUpdateSource(database.db, database.engine), commits: parts.commits });
}

function archivesOf(config: WalletConfig, parts: WalletParts, database: Database<unknown> | undefined, clock: Clock) {
  if (!config.archives || !database) return undefined;
  const deps = { source: new SqlLedgerArchiveSource(database.db), objects: config.archives.objects, assets: parts.wallet.assets, clock };
  return { archiveDay: new ArchiveLedgerDay(deps), verify: new VerifyLedgerArchive(deps), statement: new AccountStatement(deps) };
}

const FEE_TIER_RELOAD_MS = 30_000;

/** The fee-tier use cases, and their timers: volume flushed every `feeTierFlushMs`, tiers recomputed when the ledger's clock enters a new UTC day. */
function feeTierWork(config: WalletConfig, parts: WalletParts, tiers: Awaited<ReturnType<typeof feeTiersOf>>, audit: AuditLog, clock: Clock) {
  const deps = { store: tiers.store, book: tiers.book, schedule: parts.fees, clock, audit };
  const assign = new AssignFeeTiers({ ...deps, flush: () => tiers.volumes.flush() });
  const overrides = new OverrideFeeTier(deps);
  const every = config.feeTierFlushMs ?? 1000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  // Other replicas' changes (overrides, their recomputes) are read every FEE_TIER_RELOAD_MS.
  const reloadEvery = Math.max(1, Math.round(FEE_TIER_RELOAD_MS / Math.max(1, every)));
  let rounds = 0;
  let lastDay = "";
  const round = async () => {
    await tiers.volumes.flush();
    rounds += 1;
    const today = dayOf(clock.now());
    if (today !== lastDay) {
      await assign.execute();
      lastDay = today;
    } else if (rounds % reloadEvery === 0) await tiers.book.reload();
  };
  const tick = () => {
    running ??= round()
      .catch((error: unknown) => config.logger?.warn({ err: error }, "fee tiers: volume not recorded or tiers not read; retrying"))
      .finally(() => (running = undefined));
  };
  return {
    assign,
    overrides,
    book: tiers.book,
    volumes: tiers.volumes,
    async start() {
      await tiers.book.ready();
      if (every <= 0) return;
      tick();
      timer = setInterval(tick, every);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await running;
      await tiers.volumes.flush().catch((error: unknown) => config.logger?.warn({ err: error }, "fee tiers: volume not recorded at stop"));
      await tiers.store.close();
    },
  };
}

/** How often the module looks for withdrawals left pending (Wallet.resumeWithdrawals). */
const RESUME_WITHDRAWALS_MS = 15_000;

/** Composition root of the wallet service. */
export async function createWalletModule(config: WalletConfig): Promise<
  ServiceModule & {
    readonly parts: WalletParts;
    readonly history?: RunningHistoryProjection;
    readonly notices?: OutboxRelay;
    readonly feeTiers?: ReturnType<typeof feeTierWork>;
    readonly balanceUpdates?: FollowBalanceUpdates;
  }
> {
  // With tracing on, each commit to the store of record is a span (under SettleTrades, CreateHold, ...).
  const recordStore = tracedMethods(await openLedgerStore(config.ledgerUrl, config.awsEndpoint), "wallet.ledger", ["execute"]);
  const { projectionFor, historyFrom } = await import("./history-projection.module.js");
  const history = await projectionFor(recordStore, { ...config, pgUrl: config.projectionPgUrl, pollMs: config.projectionPollMs, reconcileMs: config.reconcileMs });
  const cached = await withBalanceCache(recordStore, config);
  const store = history ? historyFrom(cached, history.projection) : cached;
  const feeTiers = config.tiers ? undefined : await feeTiersOf(config);
  const parts = composeWallet(store, { ...config, tiers: config.tiers ?? feeTiers?.book, volumes: feeTiers?.volumes });
  const reader = ledgerReader(config);
  const relay = await noticeRelay(config, parts, reader);
  const balanceUpdates = balanceUpdatesOf(parts, reader);
  const clock = config.clock ?? systemClock;
  const archives = archivesOf(config, parts, reader, clock);
  // The bucket usually exists (infrastructure code); an object store down at start delays archives, not the service.
  if (archives) await config.archives!.objects.ensure().catch((error: unknown) => config.logger?.warn({ err: error }, "object store not ready; archives will retry"));
  let archiving: NodeJS.Timeout | undefined;
  const archiveYesterday = async () => {
    if (!archives) return;
    const date = utcDay(clock.now() - 86_400_000);
    if (await readManifest(config.archives!.objects, partitionPrefix(LEDGER_TABLE, date))) return;
    const written = await archives.archiveDay.execute(date);
    config.logger?.info({ key: written.key, rows: written.rows }, "ledger day archived");
  };
  const downloads = config.archives?.objects instanceof FileObjectStore ? objectDownloadRoute(config.archives.objects, config.archives.objects.urlSecret) : undefined;
  const faucetRoute = config.simulatedChainFaucet && parts.chain instanceof SimulatedChain ? simulatedChainHttpRoute(parts.chain, parts.wallet.assets) : undefined;
  let timer: NodeJS.Timeout | undefined;
  let ticking = false;
  const faucet = config.simulatedChainFaucet && parts.chain instanceof SimulatedChain ? parts.chain : undefined;
  const audit = config.metrics
    ? walletAudit({ store: parts.store, registry: config.metrics, clock: config.clock ?? systemClock, everyMs: config.auditMs ?? 60_000, logger: config.logger })
    : undefined;
  const auditLog = lazySqlAuditLog(config.auditUrl ?? "sqlite::memory:", "wallet_admin", "wallet_audit_log");
  const operators: OperatorGate = config.operators ?? {
    authorize: () => Promise.reject(new DomainError("UNIMPLEMENTED", "This wallet has no operator gate.")),
  };
  const review = new ReviewWithdrawal({ wallet: parts.wallet, audit: auditLog, clock });
  const adjust = new AdjustBalance({ wallet: parts.wallet, store: parts.store, assets: parts.wallet.assets, audit: auditLog, clock });
  const routes = [
    walletRoutes({ wallet: parts.wallet, archives, balanceUpdates }),
    withdrawalAdminRoutes({ review, assets: parts.wallet.assets, gate: operators, audit: auditLog }),
    adjustmentAdminRoutes({ adjust, assets: parts.wallet.assets, gate: operators }),
  ];
  const tierWork = feeTiers && feeTierWork(config, parts, feeTiers, auditLog, clock);
  if (tierWork) routes.push(feeTierAdminRoutes({ schedule: parts.fees, overrides: tierWork.overrides, assign: tierWork.assign, assets: parts.wallet.assets, gate: operators }));
  return {
    name: "wallet",
    serviceNames: [WalletService.typeName, WithdrawalAdminService.typeName, AdjustmentAdminService.typeName, ...(tierWork ? [FeeTierAdminService.typeName] : [])],
    routes: (router) => {
      for (const mount of routes) mount(router);
    },
    httpRoute:
      faucetRoute || downloads
        ? async (request, response) => (await faucetRoute?.(request, response)) === true || (await downloads?.(request, response)) === true
        : undefined,
    parts,
    history,
    notices: relay?.relay,
    feeTiers: tierWork,
    balanceUpdates,
    start: async () => {
      await tierWork?.start();
      history?.start();
      audit?.start();
      relay?.relay.start();
      const archiveEvery = config.archives?.everyMs ?? 3_600_000;
      if (archives && archiveEvery > 0) {
        archiving = setInterval(() => void archiveYesterday().catch((error: unknown) => config.logger?.warn({ err: error }, "ledger archive failed; retrying")), archiveEvery);
        archiving.unref();
      }
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
      clearInterval(archiving);
      await relay?.relay.stop();
      await reader?.close();
      await config.archives?.objects.close();
      await history?.stop();
      await tierWork?.stop();
      await auditLog.close();
      await store.close();
    },
  };
}
