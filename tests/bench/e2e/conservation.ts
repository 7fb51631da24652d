// Did money move rightly? Checked once every open order is canceled and the exchange is quiet:
// 1. over the exchange's own API: per asset, the sum over every bench account and the fee account
//    of free + locked + pending withdrawal equals what was credited (nothing was withdrawn);
//    nothing stays locked; each account holds exactly its credit plus its own trades minus its
//    own fees, and the fee account exactly the fees charged (no trade lost or settled twice);
// 2. in the wallet's store of record, once the exchange is stopped: its own audit (the same one
//    the ledger tests use: tests/integration/wallet/ledger-store.contract.ts expectConserved) finds
//    no negative balance, balances equal to deposits minus withdrawals for every asset, and
//    deposits equal to what the bench credited.
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { formatUnits, parseUnits } from "#kit/money/decimal.js";
import { FEE_ACCOUNT } from "../../../services/wallet/src/domain/ledger.js";
import { openLedgerStore } from "../../../services/wallet/src/main.js";
import type { Credited } from "./funding.js";

export interface AccountsReport {
  readonly violations: string[];
  /** Trades of the bench accounts (each counted once, from its two sides). */
  readonly trades: number;
  /** Per asset: credited and what all accounts hold, as decimals. */
  readonly totals: Record<string, { credited: string; held: string; fees: string }>;
}

const MAX_VIOLATIONS = 50;

export async function checkAccounts(urls: { order: string; wallet: string }, symbol: { symbol: string; base: string; quote: string }, credited: Credited): Promise<AccountsReport> {
  const wallet = createClient(WalletService, createGrpcTransport({ baseUrl: urls.wallet }));
  const orders = createClient(OrderService, createGrpcTransport({ baseUrl: urls.order }));
  const violations: string[] = [];
  const violation = (text: string) => {
    if (violations.length < MAX_VIOLATIONS) violations.push(text);
  };
  const scaleOf = (asset: string) => credited.scale.get(asset) ?? 18;
  const held = new Map<string, bigint>();
  const fees = new Map<string, bigint>();
  const add = (map: Map<string, bigint>, asset: string, amount: bigint) => map.set(asset, (map.get(asset) ?? 0n) + amount);
  let tradeSides = 0;

  const balancesOf = async (accountId: string) => {
    const out = new Map<string, { free: bigint; locked: bigint; pending: bigint }>();
    for (const balance of (await wallet.getBalances({ accountId })).balances) {
      const scale = scaleOf(balance.asset);
      const row = { free: parseUnits(balance.free, scale), locked: parseUnits(balance.locked, scale), pending: parseUnits(balance.pendingWithdrawal || "0", scale) };
      out.set(balance.asset, row);
      add(held, balance.asset, row.free + row.locked + row.pending);
    }
    return out;
  };

  for (const [accountId, credit] of credited.perAccount) {
    const expected = new Map(credit);
    let pageToken = "";
    do {
      const page = await orders.listMyTrades({ accountId, symbol: symbol.symbol, page: { pageSize: 1000, pageToken } });
      for (const trade of page.trades) {
        tradeSides += 1;
        const qty = parseUnits(trade.qty, scaleOf(symbol.base));
        const quote = parseUnits(trade.quoteQty, scaleOf(symbol.quote));
        add(expected, symbol.base, trade.isBuyer ? qty : -qty);
        add(expected, symbol.quote, trade.isBuyer ? -quote : quote);
        const commission = parseUnits(trade.commission || "0", scaleOf(trade.commissionAsset));
        if (commission > 0n) {
          add(expected, trade.commissionAsset, -commission);
          add(fees, trade.commissionAsset, commission);
        }
      }
      pageToken = page.page?.nextPageToken ?? "";
    } while (pageToken !== "");
    const balances = await balancesOf(accountId);
    for (const asset of new Set([...expected.keys(), ...balances.keys()])) {
      const row = balances.get(asset) ?? { free: 0n, locked: 0n, pending: 0n };
      const scale = scaleOf(asset);
      if (row.locked !== 0n) violation(`${accountId} ${asset}: ${formatUnits(row.locked, scale)} still locked with no open order`);
      if (row.free + row.locked + row.pending !== (expected.get(asset) ?? 0n)) {
        violation(`${accountId} ${asset}: holds ${formatUnits(row.free + row.locked + row.pending, scale)}, its credit and own trades and fees say ${formatUnits(expected.get(asset) ?? 0n, scale)}`);
      }
    }
  }

  const feeBalances = await balancesOf(FEE_ACCOUNT);
  for (const asset of new Set([...fees.keys(), ...feeBalances.keys()])) {
    const row = feeBalances.get(asset) ?? { free: 0n, locked: 0n, pending: 0n };
    if (row.free + row.locked + row.pending !== (fees.get(asset) ?? 0n)) {
      violation(`fee account ${asset}: holds ${formatUnits(row.free + row.locked + row.pending, scaleOf(asset))}, the trades charged ${formatUnits(fees.get(asset) ?? 0n, scaleOf(asset))}`);
    }
  }

  const totals: AccountsReport["totals"] = {};
  for (const asset of new Set([...credited.units.keys(), ...held.keys()])) {
    const scale = scaleOf(asset);
    const credit = credited.units.get(asset) ?? 0n;
    const holding = held.get(asset) ?? 0n;
    totals[asset] = { credited: formatUnits(credit, scale), held: formatUnits(holding, scale), fees: formatUnits(fees.get(asset) ?? 0n, scale) };
    if (credit !== holding) violation(`${asset}: the accounts and the fee account hold ${formatUnits(holding, scale)}, ${formatUnits(credit, scale)} was credited`);
  }
  return { violations, trades: tradeSides / 2, totals };
}

/** The store of record's own audit, with the exchange quiet (stopped, when its store is an embedded file). */
export async function auditLedger(ledger: { url: string; awsEndpoint?: string }, credited: Credited): Promise<{ violations: string[]; transfers: number }> {
  const store = await openLedgerStore(ledger.url, ledger.awsEndpoint);
  try {
    const audit = await store.audit();
    const violations: string[] = [];
    for (const row of audit.negative) violations.push(`ledger: negative balance ${JSON.stringify(row, (_key, value) => (typeof value === "bigint" ? value.toString() : value))}`);
    for (const asset of new Set([...audit.balances.keys(), ...audit.netInflow.keys(), ...audit.adjustments.keys(), ...credited.units.keys()])) {
      const scale = credited.scale.get(asset) ?? 18;
      const balances = audit.balances.get(asset) ?? 0n;
      const inflow = audit.netInflow.get(asset) ?? 0n;
      const adjusted = audit.adjustments.get(asset) ?? 0n;
      const credit = credited.units.get(asset) ?? 0n;
      if (balances !== inflow + adjusted) {
        violations.push(`ledger ${asset}: balances sum to ${formatUnits(balances, scale)}, deposits minus withdrawals are ${formatUnits(inflow, scale)}, adjustments ${formatUnits(adjusted, scale)}`);
      }
      // The bench makes no adjustment: one found means something else changed balances.
      if (adjusted !== 0n) violations.push(`ledger ${asset}: manual adjustments of ${formatUnits(adjusted, scale)} during the bench`);
      if (inflow !== credit) violations.push(`ledger ${asset}: deposits minus withdrawals are ${formatUnits(inflow, scale)}, the bench credited ${formatUnits(credit, scale)}`);
    }
    return { violations, transfers: audit.transfers };
  } finally {
    await store.close();
  }
}
