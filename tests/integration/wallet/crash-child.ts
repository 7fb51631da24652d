// A wallet process for the crash test: opens the ledger in a SQLite file (WAL, synchronous FULL),
// funds the accounts (idempotently), then runs random concurrent transfers through the
// group-commit batcher forever, printing "ack <id>" for each transfer once it is acknowledged.
// The parent SIGKILLs it at random moments.
import { openDatabase } from "#kit/db/database.js";
import { systemClock } from "#kit/clock/clock.js";
import { SqlLedgerStore, type WalletDb } from "../../../services/wallet/src/adapters/ledger-store.sql.js";
import { composeWallet } from "../../../services/wallet/src/main.js";

const [file, accountsText, tag] = process.argv.slice(2);
const ACCOUNTS = Number(accountsText);
const store = await SqlLedgerStore.open(openDatabase<WalletDb>(`sqlite:${file}`));
const { wallet } = composeWallet(store, { clock: systemClock, batching: true });
for (let n = 0; n < ACCOUNTS; n += 1) await wallet.creditDeposit(`fund-${n}`, `acct-${n}`, "USDT", 1_000_000n);
process.stdout.write("ready\n");

let counter = 0;
const worker = async () => {
  for (;;) {
    const id = `${tag}-${(counter += 1)}`;
    const from = Math.floor(Math.random() * ACCOUNTS);
    const to = (from + 1 + Math.floor(Math.random() * (ACCOUNTS - 1))) % ACCOUNTS;
    try {
      await wallet.transfer({ transferId: id, from: `acct-${from}`, to: `acct-${to}`, asset: "USDT", amount: BigInt(1 + Math.floor(Math.random() * 400_000)) });
      process.stdout.write(`ack ${id}\n`);
    } catch (error) {
      if ((error as { key?: string }).key !== "INSUFFICIENT_BALANCE") throw error;
    }
  }
};
await Promise.all(Array.from({ length: 64 }, worker));
