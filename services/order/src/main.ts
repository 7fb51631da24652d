import type { Kysely } from "kysely";
import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { AccountAdminService, SymbolAdminService } from "#gen/exchange/admin/v1/admin_pb.js";
import { ConnectAccountFreezer } from "./adapters/account-freezer.connect.js";
import { FreezeAccount } from "./domain/freeze-account.use-case.js";
import { accountAdminRoutes } from "./rpc/account-admin.routes.js";
import { AuthOperatorGate } from "#kit/adapters/operator-gate.auth.js";
import { SqlAuditLog } from "#kit/audit/audit-log.sql.js";
import type { OperatorGate } from "#kit/ports/operator-gate.port.js";
import { lazyTransport } from "#kit/rpc/service-directory.js";
import { systemClock, type Clock } from "#kit/clock/clock.js";
import { openDatabase } from "#kit/db/database.js";
import { migrate } from "#kit/db/migrate.js";
import type { ServiceDirectory } from "#kit/rpc/service-directory.js";
import type { ServiceModule } from "#kit/rpc/service-module.js";
import type { Registry } from "prom-client";
import { exportConsumerPositions } from "#kit/telemetry/consumer-metrics.js";
import type { Logger } from "#kit/telemetry/logger.js";
import { tracedMethods } from "#kit/telemetry/tracing.js";
import { ConnectMatchingGateway } from "./adapters/matching-gateway.connect.js";
import { EventLogMatchingGateway } from "./adapters/matching-gateway.event-log.js";
import type { EventLog } from "#kit/ports/event-log.port.js";
import { ORDER_OUTBOX, SqlOrderStore, orderStoreMigrations, type OrderTables } from "./adapters/order-store.sql.js";
import { OutboxRelay } from "#kit/outbox/outbox-relay.js";
import { partitionPrefix, readManifest, utcDay } from "#kit/archive/daily-partition.js";
import type { ObjectStore } from "#kit/ports/object-store.port.js";
import { SqlTradeArchiveSource } from "./adapters/trade-archive-source.sql.js";
import { ArchiveTradesDay } from "./domain/archive-trades-day.use-case.js";
import { VerifyTradesArchive } from "./domain/verify-trades-archive.use-case.js";
import { TRADES_TABLE } from "./domain/trades-archive.js";
import { SqlOutbox } from "#kit/outbox/outbox.sql.js";
import type { Notifier } from "#kit/ports/notifier.port.js";
import { ORDER_AUDIT_LOG, SqlSymbolStore, orderMigrations, type OrderDb } from "./adapters/symbol-store.sql.js";
import { ConnectAssetScales } from "./adapters/asset-scales.connect.js";
import { SymbolAdmin } from "./domain/symbol-admin.use-case.js";
import { symbolAdminRoutes } from "./rpc/symbol-admin.routes.js";
import { EventLogOrderUpdates, type EventLogOrderUpdatesOptions } from "./adapters/order-updates.event-log.js";
import { MemoryOrderUpdates } from "./adapters/order-updates.memory.js";
import { traceMatchingGroups } from "./adapters/matching-events.tracing.js";
import { settlementLag } from "./adapters/settlement.metrics.js";
import { ConnectWalletGateway } from "./adapters/wallet-gateway.connect.js";
import { Orders } from "./domain/orders.use-case.js";
import { DEFAULT_SYMBOLS, type SymbolSpec } from "./domain/symbol.js";
import type { OrderUpdateFeed, OrderUpdatePublisher } from "./ports/order-updates.port.js";
import { orderRoutes } from "./rpc/order.routes.js";

export interface OrderConfig {
  /** sqlite:<file> in embedded mode, postgres://... in distributed mode. */
  readonly databaseUrl: string;
  /** Reaches wallet and matching (in-process or over gRPC). */
  readonly directory: ServiceDirectory;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** The process's Prometheus registry (served at /metrics). */
  readonly metrics?: Registry;
  /**
   * Distributed mode with several replicas: order updates go through this EventLog (exchange.order.user-data.v1 on
   * Kafka, ORDER_UPDATES=kafka) so every replica's StreamOrderUpdates hears every replica's; `release` is called
   * at stop. Absent: the in-process emitter.
   */
  readonly userData?: Omit<EventLogOrderUpdatesOptions, "onError"> & { readonly release?: () => Promise<void> };
  /**
   * Daily Parquet archives of the trades (trades/date=YYYY-MM-DD/symbol=S/) in this object store; yesterday (UTC)
   * is archived every `everyMs` unless its manifests exist (0: only on request).
   */
  readonly archives?: { readonly objects: ObjectStore; readonly everyMs?: number };
  /** Fills and order state changes are stored in an outbox with their batch and relayed to this topic. */
  readonly notifications?: { readonly notifier: Notifier; readonly topic: string };
  /** Who may run the back office (SymbolAdminService); default: auth (in this process or at AUTH_ADDR) decides. */
  readonly operators?: OperatorGate;
  /**
   * The event backbone: matching's batches are read from this EventLog topic as consumer group `group`
   * (MATCHING_EVENTS=event-log) instead of matching's stream; `release` is called at stop.
   */
  readonly matchingEvents?: { readonly log: EventLog; readonly topic: string; readonly group: string; readonly partitions?: number; readonly release?: () => Promise<void> };
  /** How often the symbol registry is read again for listings and status changes made by other replicas (0: never). */
  readonly symbolPollMs?: number;
}

export interface OrderModule extends ServiceModule {
  readonly orders: Orders;
  /** The order changes stored, per account (StreamOrderUpdates): this process's, or every replica's through the log. */
  readonly updates: OrderUpdateFeed & OrderUpdatePublisher;
  /** Publishes the notifications outbox, when notifications are on. */
  readonly relay?: OutboxRelay;
  /** The symbol lifecycle (exchange.admin.v1.SymbolAdminService). */
  readonly symbolAdmin: SymbolAdmin;
}

/** How often undelivered orders are looked for, and how old one must be to be delivered by the relay. */
const RELAY_EVERY_MS = 5_000;

/** Composition root of the order service: store, registry, gateways, and one event consumer per symbol. */
export async function createOrderModule(config: OrderConfig): Promise<OrderModule> {
  const database = openDatabase<OrderDb & OrderTables>(config.databaseUrl);
  await migrate(database.db as never, "order", { ...orderMigrations, ...orderStoreMigrations });
  // One database, two stores: each sees only its own tables.
  const symbols = new SqlSymbolStore(database.db as unknown as Kysely<OrderDb>);
  await symbols.seed(DEFAULT_SYMBOLS);
  const specs: SymbolSpec[] = await symbols.list();
  const sharedUpdates = config.userData
    ? new EventLogOrderUpdates({ ...config.userData, onError: (error) => config.logger?.warn({ err: error }, "order update stream message lost") })
    : undefined;
  const updates = sharedUpdates ?? new MemoryOrderUpdates();
  const clock = config.clock ?? systemClock;
  const relay = config.notifications
    ? new OutboxRelay({
        source: new SqlOutbox(database.db as never, ORDER_OUTBOX),
        notifier: config.notifications.notifier,
        topic: config.notifications.topic,
        onError: (error) => config.logger?.warn({ err: error }, "order notifications not relayed; retrying"),
      })
    : undefined;
  const matchingRpc = new ConnectMatchingGateway(config.directory.transport("matching"));
  const eventsConfig = config.matchingEvents;
  const fromLog = eventsConfig
    ? new EventLogMatchingGateway(matchingRpc, { ...eventsConfig, onError: (error) => config.logger?.warn({ err: error }, "matching events from the log failed; retrying") })
    : undefined;
  const orderStore = tracedMethods(new SqlOrderStore(database.db as unknown as Kysely<OrderTables>), "order.store", ["insertNew", "applyBatch"]);
  const orders = new Orders({
    notices: relay !== undefined,
    onNoticesStored: () => relay?.nudge(),
    store: orderStore,
    matching: fromLog ?? matchingRpc,
    wallet: new ConnectWalletGateway(config.directory.transport("wallet")),
    clock,
    symbols: specs,
    updates,
    settled: settlementLag(config.metrics, () => clock.now()),
    traceGroup: traceMatchingGroups(),
  });
  exportConsumerPositions(config.metrics, "order", () => specs.map((spec) => spec.symbol), (symbol) => orders.appliedSequence(symbol));
  const archiveDeps = config.archives
    ? {
        source: new SqlTradeArchiveSource(database.db as unknown as Kysely<OrderTables>),
        objects: config.archives.objects,
        symbols: () => specs.map((spec) => ({ symbol: spec.symbol, units: orders.symbol(spec.symbol).units })),
        clock,
      }
    : undefined;
  const archives = archiveDeps ? { archiveDay: new ArchiveTradesDay(archiveDeps), verify: new VerifyTradesArchive(archiveDeps) } : undefined;
  // The bucket usually exists (infrastructure code); an object store down at start delays archives, not the service.
  if (archives) await config.archives!.objects.ensure().catch((error: unknown) => config.logger?.warn({ err: error }, "object store not ready; archives will retry"));
  let archiving: NodeJS.Timeout | undefined;
  const archiveYesterday = async () => {
    if (!archives || !config.archives) return;
    const date = utcDay(clock.now() - 86_400_000);
    const done = await Promise.all(specs.map((spec) => readManifest(config.archives!.objects, partitionPrefix(TRADES_TABLE, date, [["symbol", spec.symbol]]))));
    if (done.every(Boolean)) return;
    const written = await archives.archiveDay.execute(date);
    config.logger?.info({ date, partitions: written.length, rows: written.reduce((n, p) => n + p.rows, 0) }, "trades day archived");
  };
  const consumers = new AbortController();
  const running: Promise<void>[] = [];
  let relaying: NodeJS.Timeout | undefined;
  let polling: NodeJS.Timeout | undefined;
  let started = false;
  const follow = (spec: SymbolSpec) => {
    // Follow matching's events; on a broken stream, back off and resume from the last applied sequence.
    const loop = async () => {
      while (!consumers.signal.aborted) {
        try {
          await orders.consume(spec.symbol, consumers.signal);
        } catch (error) {
          if (consumers.signal.aborted) return;
          config.logger?.warn({ err: error, symbol: spec.symbol }, "matching event stream broke; resuming");
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    };
    running.push(loop());
  };
  /** A symbol listed after start (here, or by another replica): its events are followed from now on. */
  const listed = (spec: SymbolSpec) => {
    if (specs.some((known) => known.symbol === spec.symbol)) return;
    specs.push(spec);
    if (started) follow(spec);
  };
  /** Listings and status changes other replicas stored. */
  const refreshSymbols = async () => {
    for (const spec of await symbols.list()) {
      orders.useSymbol(spec);
      listed(spec);
    }
  };
  const operators = config.operators ?? new AuthOperatorGate(lazyTransport(() => config.directory.transport("auth")));

  const symbolAdmin = new SymbolAdmin({
    symbols,
    store: orderStore,
    matching: new ConnectMatchingGateway(config.directory.transport("matching")),
    assets: new ConnectAssetScales(config.directory.transport("wallet")),
    clock,
    orders,
    onListed: listed,
  });
  const auditLog = new SqlAuditLog(database.db as never, ORDER_AUDIT_LOG);
  const authTransport = lazyTransport(() => config.directory.transport("auth"));
  const freezes = new FreezeAccount({ freezer: new ConnectAccountFreezer(authTransport), store: orderStore, orders, audit: auditLog, clock });
  const routes = [
    orderRoutes({ symbols, orders, updates, archives }),
    symbolAdminRoutes({ admin: symbolAdmin, gate: operators, audit: auditLog }),
    accountAdminRoutes({ freezes, gate: operators }),
  ];
  return {
    name: "order",
    serviceNames: [OrderService.typeName, SymbolAdminService.typeName, AccountAdminService.typeName],
    orders,
    updates,
    symbolAdmin,
    routes: (router) => {
      for (const mount of routes) mount(router);
    },
    relay,
    async start() {
      relay?.start();
      const archiveEvery = config.archives?.everyMs ?? 3_600_000;
      if (archives && archiveEvery > 0) {
        archiving = setInterval(() => void archiveYesterday().catch((error: unknown) => config.logger?.warn({ err: error }, "trades archive failed; retrying")), archiveEvery);
        archiving.unref();
      }
      // Joined before the consumers run, so no update this replica stores is appended before it listens.
      await sharedUpdates?.start();
      await fromLog?.start();
      started = true;
      for (const spec of [...specs]) {
        follow(spec);
        await orders.relay(spec.symbol);
      }
      const pollMs = config.symbolPollMs ?? 5_000;
      if (pollMs > 0) {
        polling = setInterval(() => void refreshSymbols().catch((error: unknown) => config.logger?.warn({ err: error }, "symbol registry not read; retrying")), pollMs);
        polling.unref();
      }
      // Deliveries that failed (matching or wallet unreachable) and were not retried by their client: the
      // hold is taken or the order refused, so nothing stays PENDING_NEW with its funds held.
      relaying = setInterval(() => {
        for (const spec of specs) void orders.relay(spec.symbol, RELAY_EVERY_MS).catch((error: unknown) => config.logger?.warn({ err: error, symbol: spec.symbol }, "relay of undelivered orders failed"));
      }, RELAY_EVERY_MS);
      relaying.unref();
    },
    async stop() {
      clearInterval(polling);
      clearInterval(relaying);
      consumers.abort();
      await Promise.allSettled(running);
      await fromLog?.stop();
      await eventsConfig?.release?.();
      await sharedUpdates?.stop();
      await config.userData?.release?.();
      clearInterval(archiving);
      await relay?.stop();
      await config.archives?.objects.close();
      await database.close();
    },
  };
}
