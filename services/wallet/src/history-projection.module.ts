import { Counter, Gauge, type Registry } from "prom-client";
import type { Logger } from "#kit/telemetry/logger.js";
import { PostgresHistoryProjection } from "./adapters/history-projection.postgres.js";
import { DynamoStreamsFeed } from "./adapters/ledger-events.dynamodb-streams.js";
import type { DynamoLedgerStore } from "./adapters/ledger-store.dynamodb.js";
import { HistoryProjector, Reconciler } from "./domain/history-projector.js";
import type { HistoryProjection } from "./ports/history-projection.port.js";
import type { LedgerStore } from "./ports/ledger-store.port.js";
import { withOverrides } from "./adapters/ledger-store.overrides.js";

// With DynamoDB as the store of record and WALLET_PROJECTION_PG_URL set: the projector follows
// the transfers table's stream into PostgreSQL, the reconciler compares the projection's balances
// with DynamoDB's, and history (ListLedgerEntries) is read from the projection.

export interface HistoryProjectionOptions {
  readonly pgUrl: string;
  readonly awsEndpoint?: string;
  /** How often the projector polls the stream (ms). */
  readonly pollMs?: number;
  /** How often the reconciler compares balances (ms). */
  readonly reconcileMs?: number;
  readonly metrics?: Registry;
  readonly logger?: Logger;
}

export interface RunningHistoryProjection {
  readonly projection: HistoryProjection;
  readonly projector: HistoryProjector;
  readonly reconciler: Reconciler;
  start(): void;
  stop(): Promise<void>;
}

export async function openHistoryProjection(store: DynamoLedgerStore, options: HistoryProjectionOptions): Promise<RunningHistoryProjection> {
  const registers = options.metrics ? [options.metrics] : [];
  // A registry keeps one metric per name: a second module in the same process reuses it.
  const existing = <T>(name: string) => options.metrics?.getSingleMetric(name) as T | undefined;
  const mismatches =
    existing<Gauge>("exchange_wallet_projection_mismatches") ??
    new Gauge({ name: "exchange_wallet_projection_mismatches", help: "Balances where the PostgreSQL projection differs from DynamoDB (confirmed in two rounds)", registers });
  const skipped =
    existing<Gauge>("exchange_wallet_projection_skipped_accounts") ??
    new Gauge({ name: "exchange_wallet_projection_skipped_accounts", help: "Accounts left out of the last reconciliation: transfers not projected yet", registers });
  const applied =
    existing<Counter>("exchange_wallet_projection_applied_transfers_total") ??
    new Counter({ name: "exchange_wallet_projection_applied_transfers_total", help: "Transfers applied to the PostgreSQL projection", registers });
  const failures =
    existing<Counter<"loop">>("exchange_wallet_projection_failures_total") ??
    new Counter({ name: "exchange_wallet_projection_failures_total", help: "Projector or reconciler rounds that failed", labelNames: ["loop"] as const, registers });

  const projection = await PostgresHistoryProjection.open(options.pgUrl);
  const feed = new DynamoStreamsFeed({ table: store.tables.transfers, endpoint: options.awsEndpoint });
  const projector = new HistoryProjector(feed, projection);
  const reconciler = new Reconciler(feed, projection, store, (round) => {
    mismatches.set(round.confirmed.length);
    skipped.set(round.skipped);
    if (round.confirmed.length > 0) options.logger?.error({ mismatches: round.confirmed.slice(0, 20).map((m) => `${m.account}/${m.asset}`) }, "wallet projection differs from DynamoDB");
  });

  const timers: NodeJS.Timeout[] = [];
  const loop = (name: "projector" | "reconciler", every: number, step: () => Promise<void>) => {
    let busy: Promise<void> | undefined;
    const timer = setInterval(() => {
      if (busy) return;
      busy = step()
        .catch((error: unknown) => {
          failures.inc({ loop: name });
          options.logger?.warn({ err: error }, `wallet ${name} round failed`);
        })
        .finally(() => (busy = undefined));
    }, every);
    timer.unref();
    timers.push(timer);
    return () => busy;
  };
  const running: (() => Promise<void> | undefined)[] = [];
  return {
    projection,
    projector,
    reconciler,
    start: () => {
      running.push(loop("projector", options.pollMs ?? 250, async () => void applied.inc(await projector.catchUp())));
      running.push(loop("reconciler", options.reconcileMs ?? 60_000, async () => void (await reconciler.reconcile())));
    },
    stop: async () => {
      for (const timer of timers) clearInterval(timer);
      await Promise.all(running.map((busy) => busy()));
      await feed.close();
      await projection.close();
    },
  };
}

/** The store with its history read from the projection instead. */
export function historyFrom(store: LedgerStore, history: Pick<HistoryProjection, "entries">): LedgerStore {
  return withOverrides(store, { entries: (account, asset, page) => history.entries(account, asset, page) });
}

/** The projection for a store of record, if one is configured; only DynamoDB stores take one. */
export async function projectionFor(store: LedgerStore, options: Partial<HistoryProjectionOptions>): Promise<RunningHistoryProjection | undefined> {
  if (!options.pgUrl) return undefined;
  const { DynamoLedgerStore } = await import("./adapters/ledger-store.dynamodb.js");
  if (!(store instanceof DynamoLedgerStore)) throw new Error("WALLET_PROJECTION_PG_URL is for a DynamoDB store of record (WALLET_LEDGER_URL=dynamodb:...)");
  return openHistoryProjection(store, { ...options, pgUrl: options.pgUrl });
}
