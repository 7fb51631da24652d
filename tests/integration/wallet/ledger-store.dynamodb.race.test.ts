// Two wallet replicas on one DynamoDB ledger executing the same command (two order replicas settling the same
// trade): the store reads a command's transfer and its balances in separate requests, so one replica can read the
// transfer before the other commits and the balances after. Its answer must still be the duplicate, not a refusal
// computed from the other's effects.
import { afterAll, describe, expect, it } from "vitest";
import { DeleteTableCommand, DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { DynamoLedgerStore } from "../../../services/wallet/src/adapters/ledger-store.dynamodb.js";
import { makeCommand } from "../../../services/wallet/src/domain/ledger.js";
import { engines } from "../../support/engines.js";

const table = `wallet-race-${Date.now().toString(36)}`;
const client = () => new DynamoDBClient({ endpoint: engines.awsEndpoint, region: engines.awsRegion });

afterAll(async () => {
  const admin = client();
  const { TableNames = [] } = await admin.send(new ListTablesCommand({}));
  for (const name of TableNames.filter((n) => n.startsWith(table))) await admin.send(new DeleteTableCommand({ TableName: name }));
  admin.destroy();
});

describe("DynamoDB ledger store, two replicas", () => {
  it("answers a command another replica committed between its reads as a duplicate, not a refusal", async () => {
    const first = await DynamoLedgerStore.open({ table, client: client() });
    const tearing = client();
    let interleave: (() => Promise<void>) | undefined;
    // Runs `interleave` just before this replica's first read of balances: after its read of the transfer.
    tearing.middlewareStack.add(
      (next) => async (args) => {
        const items = (args.input as { RequestItems?: Record<string, unknown> }).RequestItems;
        if (interleave && items && Object.keys(items).includes(first.tables.balances)) {
          const run = interleave;
          interleave = undefined;
          await run();
        }
        return next(args);
      },
      { step: "initialize", name: "interleaveOtherReplica" },
    );
    const second = await DynamoLedgerStore.open({ table, client: tearing });
    const account = `race-${Date.now().toString(36)}`;
    await first.execute([makeCommand(`deposit:${account}`, 1, { kind: "deposit", depositId: account, account, asset: "BTC", network: "internal", amount: 100n, txId: `tx-${account}`, confirmations: 0, required: 0 })]);

    const hold = makeCommand(`hold:${account}`, 2, { kind: "hold", holdId: account, account, asset: "BTC", amount: 100n, timeoutMs: 0 });
    let firstOutcome: unknown;
    interleave = async () => {
      [firstOutcome] = await first.execute([hold]);
    };
    const [secondOutcome] = await second.execute([hold]);
    expect(firstOutcome).toMatchObject({ ok: true, duplicate: false });
    expect(secondOutcome).toMatchObject({ ok: true, duplicate: true });
    expect(await second.balances(account)).toEqual([expect.objectContaining({ asset: "BTC", available: 0n, locked: 100n })]);
    await first.close();
    await second.close();
  }, 60_000);
});
