import { openDatabase } from "#kit/db/database.js";
import { SqlFeeTierStore } from "../../../services/wallet/src/adapters/fee-tier-store.sql.js";
import { freshPgSchema } from "../../support/postgres.js";
import { feeTierStoreContract } from "../../unit/wallet/fee-tier-store.contract.js";

// The FeeTierStore contract on the real PostgreSQL server, each case in a schema of its own.

feeTierStoreContract("PostgreSQL", async () => {
  const schema = await freshPgSchema("fee_tiers");
  return {
    open: () => SqlFeeTierStore.open(openDatabase(schema.url)),
    dispose: () => schema.drop(),
  };
});
