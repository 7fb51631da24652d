import { Counter, Gauge, type Registry } from "prom-client";
import type { Clock } from "#kit/clock/clock.js";
import type { Logger } from "#kit/telemetry/logger.js";
import { registered } from "#kit/telemetry/metrics.js";
import { ConservationCheck } from "./domain/conservation.js";
import type { LedgerStore } from "./ports/ledger-store.port.js";

// The continuous audit: every WALLET_AUDIT_MS, the conservation invariant (per asset, every account's
// available + locked + pending equals deposits credited minus withdrawals completed plus manual adjustments
// applied, no balance negative) and
// the withdrawal queues, exported at /metrics for the chart's alerts.

export interface WalletAuditOptions {
  readonly store: LedgerStore;
  readonly registry: Registry;
  readonly clock: Clock;
  readonly everyMs: number;
  readonly logger?: Logger;
}

/** The most withdrawals counted in one queue (pages of 1000): past it the gauge says "at least". */
const MAX_COUNTED = 10_000;

export interface WalletAudit {
  /** One round now (tests; the timer runs the same). */
  run(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export function walletAudit(options: WalletAuditOptions): WalletAudit {
  const { store, registry, clock, logger } = options;
  const gauge = (name: string, help: string, labelNames: readonly string[] = []) =>
    registered(registry, name, (registers) => new Gauge({ name, help, labelNames, registers }));
  const ok = gauge("exchange_wallet_conservation_ok", "1 when the last audit found every asset's balances equal to deposits credited minus withdrawals completed plus adjustments applied and no negative balance, else 0");
  const unbalanced = gauge("exchange_wallet_conservation_unbalanced_assets", "Assets whose balances differ from their net inflow plus adjustments (confirmed by two audits in a row)");
  const negative = gauge("exchange_wallet_negative_balances", "Balance rows with a negative field (the store should make this impossible)");
  const lastRun = gauge("exchange_wallet_audit_last_success_timestamp_seconds", "When the last audit finished (Unix time)");
  const duration = gauge("exchange_wallet_audit_duration_seconds", "How long the last audit took");
  const failures = registered(registry, "exchange_wallet_audit_failures_total", (registers) =>
    new Counter({ name: "exchange_wallet_audit_failures_total", help: "Audits that could not read the store", registers }),
  );
  const awaiting = gauge("exchange_wallet_withdrawals_awaiting_approval", "Withdrawals waiting for an operator's approval");
  const oldest = gauge("exchange_wallet_withdrawal_oldest_awaiting_approval_seconds", "Age of the oldest withdrawal waiting for approval (0: none)");
  const pending = gauge("exchange_wallet_withdrawals_pending", "Withdrawals approved (or needing none) and not yet completed on the chain");
  const check = new ConservationCheck();

  async function conservation(): Promise<void> {
    const audit = await store.audit();
    const confirmed = check.confirm(audit);
    unbalanced.set(confirmed.length);
    negative.set(audit.negative.length);
    ok.set(confirmed.length === 0 && audit.negative.length === 0 ? 1 : 0);
    if (confirmed.length > 0 || audit.negative.length > 0) {
      logger?.error({ unbalanced: confirmed.map(({ asset, difference }) => ({ asset, difference: String(difference) })), negative: audit.negative.length }, "wallet audit: money is not conserved");
    }
  }

  async function withdrawals(): Promise<void> {
    let count = 0;
    let first: number | undefined;
    let token = "";
    do {
      const page = await store.awaitingApproval({ size: 1000, token });
      first ??= page.items[0]?.createdAt;
      count += page.items.length;
      token = page.next;
    } while (token && count < MAX_COUNTED);
    awaiting.set(count);
    oldest.set(first === undefined ? 0 : Math.max(0, clock.now() - first) / 1000);
    const due = await store.dueDocs("withdrawal", clock.now(), MAX_COUNTED);
    pending.set(due.filter((doc) => doc.type === "withdrawal" && doc.status === "pending").length);
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const run = async () => {
    const start = process.hrtime.bigint();
    try {
      await Promise.all([conservation(), withdrawals()]);
      duration.set(Number(process.hrtime.bigint() - start) / 1e9);
      lastRun.set(clock.now() / 1000);
    } catch (error) {
      failures.inc();
      logger?.warn({ err: error }, "wallet audit failed");
    }
  };
  return {
    run,
    start() {
      if (options.everyMs <= 0) return;
      const tick = () => {
        running ??= run().finally(() => (running = undefined));
      };
      tick();
      timer = setInterval(tick, options.everyMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
