import type { Clock } from "#kit/clock/clock.js";
import type { AuditEntry, AuditLog } from "#kit/ports/audit-log.port.js";
import type { Operator } from "#kit/ports/operator-gate.port.js";
import type { AccountFreezer } from "../ports/account-freezer.port.js";
import type { OrderStore } from "../ports/order-store.port.js";
import type { Order } from "./order.js";

export interface FreezeAccountDeps {
  readonly freezer: AccountFreezer;
  readonly store: Pick<OrderStore, "listOpen">;
  readonly orders: { cancelAll(accountId: string, symbol: string): Promise<Order[]> };
  readonly audit: AuditLog;
  readonly clock: Clock;
}

/**
 * Account freezes for operators. auth keeps the flag and refuses the account anything needing TRADE or WITHDRAW
 * from then on (every door asks auth), so no new order or withdrawal gets in; then every open order of the account
 * is canceled here, symbol by symbol, and the action recorded with what it canceled.
 */
export class FreezeAccount {
  constructor(private readonly deps: FreezeAccountDeps) {}

  async freeze(operator: Operator, accountId: string, reason: string): Promise<{ canceled: number; audit: AuditEntry }> {
    const wasFrozen = await this.deps.freezer.setFrozen(accountId, true);
    const open = await this.deps.store.listOpen(accountId);
    let canceled = 0;
    for (const symbol of new Set(open.map((order) => order.symbol))) canceled += (await this.deps.orders.cancelAll(accountId, symbol)).length;
    const audit = await this.deps.audit.append({
      time: this.deps.clock.now(),
      actor: operator.userId,
      action: "account.freeze",
      target: accountId,
      reason,
      before: { frozen: wasFrozen, openOrders: open.length },
      after: { frozen: true, canceledOrders: canceled },
    });
    return { canceled, audit };
  }

  async unfreeze(operator: Operator, accountId: string, reason: string): Promise<AuditEntry> {
    const wasFrozen = await this.deps.freezer.setFrozen(accountId, false);
    return this.deps.audit.append({ time: this.deps.clock.now(), actor: operator.userId, action: "account.unfreeze", target: accountId, reason, before: { frozen: wasFrozen }, after: { frozen: false } });
  }
}
