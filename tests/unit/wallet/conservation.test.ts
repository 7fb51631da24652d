import { describe, expect, it } from "vitest";
import { ConservationCheck, imbalancesOf } from "../../../services/wallet/src/domain/conservation.js";

const audit = (balances: Record<string, bigint>, netInflow: Record<string, bigint>, adjustments: Record<string, bigint> = {}) => ({
  balances: new Map(Object.entries(balances)),
  netInflow: new Map(Object.entries(netInflow)),
  adjustments: new Map(Object.entries(adjustments)),
});

describe("imbalancesOf", () => {
  it("finds nothing when every asset's balances equal its net inflow", () => {
    expect(imbalancesOf(audit({ BTC: 5n, USDT: 0n }, { BTC: 5n }))).toEqual([]);
  });

  it("names each asset that is off, by how much, assets missing on either side counting as zero", () => {
    expect(imbalancesOf(audit({ BTC: 6n, ETH: 1n }, { BTC: 5n, USDT: 3n }))).toEqual([
      { asset: "BTC", difference: 1n },
      { asset: "ETH", difference: 1n },
      { asset: "USDT", difference: -3n },
    ]);
  });

  it("counts manual adjustments as their own term: balances = net inflow + adjustments", () => {
    expect(imbalancesOf(audit({ BTC: 7n, ETH: 2n }, { BTC: 5n, ETH: 3n }, { BTC: 2n, ETH: -1n }))).toEqual([]);
    expect(imbalancesOf(audit({ BTC: 7n }, { BTC: 5n }))).toEqual([{ asset: "BTC", difference: 2n }]);
    expect(imbalancesOf(audit({}, {}, { XRP: 4n }))).toEqual([{ asset: "XRP", difference: -4n }]);
  });
});

describe("ConservationCheck", () => {
  it("confirms an imbalance only when two audits in a row find the same asset off by the same amount", () => {
    const check = new ConservationCheck();
    expect(check.confirm(audit({ BTC: 6n }, { BTC: 5n }))).toEqual([]);
    expect(check.confirm(audit({ BTC: 6n }, { BTC: 5n }))).toEqual([{ asset: "BTC", difference: 1n }]);
  });

  it("lets a passing imbalance (a transfer between the audit's reads) go unreported", () => {
    const check = new ConservationCheck();
    expect(check.confirm(audit({ BTC: 7n }, { BTC: 5n }))).toEqual([]);
    expect(check.confirm(audit({ BTC: 9n }, { BTC: 8n }))).toEqual([]);
    expect(check.confirm(audit({ BTC: 9n }, { BTC: 9n }))).toEqual([]);
  });
});
