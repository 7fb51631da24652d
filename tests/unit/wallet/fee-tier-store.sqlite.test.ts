import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "#kit/db/database.js";
import { SqlFeeTierStore } from "../../../services/wallet/src/adapters/fee-tier-store.sql.js";
import { feeTierStoreContract } from "./fee-tier-store.contract.js";

// The FeeTierStore contract on a SQLite file (reopened for the restart case).

feeTierStoreContract("SQLite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fee-tiers-"));
  const url = `sqlite:${join(dir, "wallet-audit.sqlite")}`;
  return {
    open: () => SqlFeeTierStore.open(openDatabase(url)),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
