import type { LedgerAudit } from "../ports/ledger-store.port.js";

/** What conservation compares: balances held against deposits minus withdrawals, plus adjustments as their own term. */
export type ConservationTerms = Pick<LedgerAudit, "balances" | "netInflow" | "adjustments">;

/**
 * One asset whose balances do not add up to what came in: held minus (deposits credited - withdrawals completed
 * + manual adjustments applied).
 */
export interface Imbalance {
  readonly asset: string;
  readonly difference: bigint;
}

/** Assets where the sum of every account's available + locked + pending differs from the net inflow plus adjustments. */
export function imbalancesOf(audit: ConservationTerms): Imbalance[] {
  const assets = new Set([...audit.balances.keys(), ...audit.netInflow.keys(), ...audit.adjustments.keys()]);
  const found: Imbalance[] = [];
  for (const asset of [...assets].sort()) {
    const difference = (audit.balances.get(asset) ?? 0n) - (audit.netInflow.get(asset) ?? 0n) - (audit.adjustments.get(asset) ?? 0n);
    if (difference !== 0n) found.push({ asset, difference });
  }
  return found;
}

/**
 * An audit reads balances and the external account's history in separate reads, so a transfer committed in between
 * shows as a passing imbalance. One is reported only when two audits in a row find the same asset off by the same
 * amount (a real break stays put; a passing one moves with the traffic or vanishes).
 */
export class ConservationCheck {
  private previous = new Map<string, bigint>();

  /** The imbalances this audit confirms. */
  confirm(audit: ConservationTerms): Imbalance[] {
    const current = imbalancesOf(audit);
    const confirmed = current.filter((imbalance) => this.previous.get(imbalance.asset) === imbalance.difference);
    this.previous = new Map(current.map((imbalance) => [imbalance.asset, imbalance.difference]));
    return confirmed;
  }
}
