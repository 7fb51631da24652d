import { randomUUID } from "node:crypto";
import pg from "pg";
import { DeleteTableCommand, DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { openDatabase } from "#kit/db/database.js";
import { DynamoLedgerStore } from "../../../services/wallet/src/adapters/ledger-store.dynamodb.js";
import { SqlLedgerStore, type WalletDb } from "../../../services/wallet/src/adapters/ledger-store.sql.js";
import { engines as env } from "../../support/engines.js";
import type { LedgerStoreFixture } from "./ledger-store.contract.js";

// Real engines on loopback, started by tests/infra/up.sh (postgres, moto).

export { env };

const run = () => `${Date.now().toString(36)}_${randomUUID().slice(0, 6)}`;

/** A fresh PostgreSQL database: an empty ledger, dropped with `drop()`. */
export async function pgDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `wallet_t_${run()}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: env.pgUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(env.pgUrl);
  url.pathname = `/${name}`;
  // FORCE ends connections of pools that were closed but whose sockets are still going away.
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export async function pgFixture(): Promise<LedgerStoreFixture> {
  const { url, drop } = await pgDatabase();
  const store = await SqlLedgerStore.open(openDatabase<WalletDb>(url));
  const close = store.close.bind(store);
  Object.assign(store, { close: async () => {
    await close();
    await drop(); // a connection still closing is ended by DROP ... WITH (FORCE)
  } });
  return {
    store,
    forceNegative: async (account, asset) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query("UPDATE wallet_balances SET available = available - 1000000 WHERE account = $1 AND asset = $2", [account, asset]);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * A client for moto. moto's TransactWriteItems is not thread-safe: it deep-copies whole tables
 * for its rollback while other requests mutate them (RuntimeError: dictionary changed size during
 * iteration -> HTTP 500) and a rollback restores that copy over concurrent writes. Real DynamoDB
 * isolates transactions per item. So against moto the test client sends one HTTP request at a
 * time; commands still interleave between their reads and their conditional writes, which is
 * where the adapter's conflicts and retries happen.
 */
export function dynamoClient(): DynamoDBClient {
  return serializedForMoto(new DynamoDBClient({ region: env.awsRegion, endpoint: env.awsEndpoint }));
}

/**
 * Runs `read` with moto to itself: no request of a serialized client starts until it is done.
 * moto answers a GetShardIterator with an iterator bound to the table object of that moment, and
 * a cancelled transaction replaces that object with its rollback copy; an iterator taken before
 * a rollback then shows the cancelled write at a sequence number the next commit reuses, and a
 * reader would skip that commit. Real DynamoDB only streams committed writes; against moto a
 * feed's read (iterator + records) must not straddle a transaction. `read` must use clients that
 * are not serialized (plainDynamoClients), or it would wait for itself.
 */
export function exclusiveOnMoto<T>(read: () => Promise<T>): Promise<T> {
  const run = motoTail.then(read);
  motoTail = run.catch(() => undefined);
  return run;
}

export function plainDynamoClients(): { client: DynamoDBClient; streams: DynamoDBStreamsClient } {
  return { client: new DynamoDBClient({ region: env.awsRegion, endpoint: env.awsEndpoint }), streams: new DynamoDBStreamsClient({ region: env.awsRegion, endpoint: env.awsEndpoint }) };
}

let motoTail: Promise<unknown> = Promise.resolve();

function serializedForMoto<T extends DynamoDBClient>(client: T): T {
  (client as DynamoDBClient).middlewareStack.add(
    (next) => (args) => {
      const run = motoTail.then(() => next(args));
      motoTail = run.catch(() => undefined);
      return run;
    },
    { step: "finalizeRequest", name: "serializeForMoto" },
  );
  return client;
}

export async function dynamoFixture(): Promise<LedgerStoreFixture & { store: DynamoLedgerStore; client: DynamoDBClient }> {
  const name = `wallet-ledger-${run()}`;
  const client = dynamoClient();
  const store = await DynamoLedgerStore.open({ table: name, client });
  const close = store.close.bind(store);
  Object.assign(store, { close: async () => {
    await close();
    for (const table of Object.values(store.tables)) await client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    client.destroy();
  } });
  return {
    store,
    client,
    // The adapter's own guarded update: ADD a negative delta under `av >= :need`.
    forceNegative: async (account, asset) => {
      await client.send(
        new UpdateItemCommand({
          TableName: store.tables.balances,
          Key: { pk: { S: account }, sk: { S: asset } },
          UpdateExpression: "ADD av :d",
          ConditionExpression: "av >= :need",
          ExpressionAttributeValues: { ":d": { N: "-1000000" }, ":need": { N: "1000000" } },
        }),
      );
    },
  };
}
