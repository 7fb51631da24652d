import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { balanceUpdatesContract } from "../../integration/wallet/balance-updates.contract.js";

// StreamBalanceUpdates' contract on a SQLite ledger file (written by the store's writer thread, read
// through a second connection).

balanceUpdatesContract("SQLite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wallet-balance-updates-"));
  return { url: `sqlite:${join(dir, "wallet.sqlite")}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
});
