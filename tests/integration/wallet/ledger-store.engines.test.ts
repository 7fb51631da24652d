import { ledgerStoreContract } from "./ledger-store.contract.js";
import { dynamoFixture, pgFixture } from "./support.js";

// The LedgerStore contract against the real engines: PostgreSQL (with and without group
// commit) and DynamoDB (moto).

ledgerStoreContract("PostgreSQL", pgFixture);
ledgerStoreContract("PostgreSQL", pgFixture, { batching: true });
ledgerStoreContract("DynamoDB (moto)", dynamoFixture);
