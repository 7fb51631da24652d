// One real round-trip per engine started by tests/infra/up.sh, on loopback.
// Connection settings come from the EXCHANGE_* variables (tests/infra/env.sh prints them) and
// default to the ports up.sh uses. AWS clients get `endpoint` from EXCHANGE_AWS_ENDPOINT, so the
// same code talks to real AWS when that variable is unset in production configuration.
import { randomUUID } from "node:crypto";
import { describe, it, expect } from "vitest";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { Redis } from "ioredis";
import { Client as OpenSearchClient } from "@opensearch-project/opensearch";
import {
  DynamoDBClient,
  CreateTableCommand,
  DeleteTableCommand,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  TransactionCanceledException,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import {
  S3Client,
  CreateBucketCommand,
  PutObjectCommand,
  GetObjectCommand,
  DeleteObjectCommand,
  DeleteBucketCommand,
} from "@aws-sdk/client-s3";
import { SNSClient, CreateTopicCommand, SubscribeCommand, PublishCommand, DeleteTopicCommand } from "@aws-sdk/client-sns";
import {
  SQSClient,
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  DeleteQueueCommand,
} from "@aws-sdk/client-sqs";
import {
  SecretsManagerClient,
  CreateSecretCommand,
  GetSecretValueCommand,
  DeleteSecretCommand,
} from "@aws-sdk/client-secrets-manager";
import { engines } from "../../support/engines.js";

const env = engines;

const awsConfig = { region: env.awsRegion, endpoint: env.awsEndpoint };

/** unique, lowercase, DNS-safe suffix per test run */
const run = `${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;

describe("kafka (kafkajs)", () => {
  it("creates a 3-partition topic, produces, and consumes with a consumer group", async () => {
    const kafka = new Kafka({
      clientId: `infra-test-${run}`,
      brokers: env.kafkaBrokers,
      logLevel: logLevel.WARN,
      retry: { retries: 8 },
    });
    const topic = `infra-test-${run}`;
    const groupId = `infra-test-group-${run}`;
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    try {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true })).toBe(true);
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(meta.topics[0].partitions).toHaveLength(3);

      await producer.connect();
      const sent = [0, 1, 2].map((p) => ({ partition: p, key: `k${p}`, value: `v${p}-${run}` }));
      await producer.send({ topic, acks: -1, messages: sent });

      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const received: { partition: number; key: string; value: string }[] = [];
      const done = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`consumed only ${received.length}/3 records`)), 60_000);
        consumer
          .run({
            eachMessage: async ({ partition, message }) => {
              received.push({ partition, key: message.key!.toString(), value: message.value!.toString() });
              if (received.length === sent.length) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
      await done;
      expect(received.sort((a, b) => a.partition - b.partition)).toEqual(sent);

      // The group committed its offsets (auto-commit on stop): the broker's group coordinator knows them.
      await consumer.stop();
      const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
      const committed = offsets[0].partitions.map((p) => Number(p.offset)).sort();
      expect(committed).toEqual([1, 1, 1]);
    } finally {
      await consumer.disconnect().catch(() => {});
      await producer.disconnect().catch(() => {});
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin.disconnect().catch(() => {});
    }
  });
});

describe("postgres (pg)", () => {
  it("commits a SERIALIZABLE transaction and fails a conflicting one with 40001", async () => {
    const table = `infra_test_${run.replace(/-/g, "_")}`;
    const setup = new pg.Client({ connectionString: env.pgUrl });
    const a = new pg.Client({ connectionString: env.pgUrl });
    const b = new pg.Client({ connectionString: env.pgUrl });
    await Promise.all([setup.connect(), a.connect(), b.connect()]);
    try {
      await setup.query(`create table ${table} (account text primary key, balance numeric not null)`);
      await setup.query(`insert into ${table} values ('alice', 100), ('bob', 100)`);

      // a plain serializable transfer commits
      await a.query("begin isolation level serializable");
      await a.query(`update ${table} set balance = balance - 10 where account = 'alice'`);
      await a.query(`update ${table} set balance = balance + 10 where account = 'bob'`);
      await a.query("commit");

      // write skew: each tx reads the total, then writes a different row. One of them must fail with 40001.
      await a.query("begin isolation level serializable");
      await b.query("begin isolation level serializable");
      const sumA = await a.query(`select sum(balance)::int as s from ${table}`);
      const sumB = await b.query(`select sum(balance)::int as s from ${table}`);
      expect(sumA.rows[0].s).toBe(200);
      expect(sumB.rows[0].s).toBe(200);
      await a.query(`update ${table} set balance = balance - 200 where account = 'alice'`);
      await b.query(`update ${table} set balance = balance - 200 where account = 'bob'`);
      await a.query("commit");
      let code: string | undefined;
      try {
        await b.query("commit");
      } catch (err) {
        code = (err as { code?: string }).code;
      }
      expect(code).toBe("40001");
      await b.query("rollback").catch(() => {});

      const rows = await setup.query(`select account, balance::int as balance from ${table} order by account`);
      expect(rows.rows).toEqual([
        { account: "alice", balance: -110 },
        { account: "bob", balance: 110 },
      ]);
    } finally {
      await setup.query(`drop table if exists ${table}`).catch(() => {});
      await Promise.all([setup.end(), a.end(), b.end()]);
    }
  });
});

describe("redis (ioredis)", () => {
  it("runs a pipeline", async () => {
    const redis = new Redis(env.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
    await redis.connect();
    const key = `infra-test:${run}`;
    try {
      const results = await redis
        .pipeline()
        .set(`${key}:s`, "hello")
        .incrby(`${key}:n`, 5)
        .hset(`${key}:h`, { bid: "100.5", ask: "101" })
        .zadd(`${key}:z`, 101, "ask", 100.5, "bid")
        .get(`${key}:s`)
        .hgetall(`${key}:h`)
        .zrange(`${key}:z`, "0", "-1")
        .exec();
      expect(results!.map(([err]) => err)).toEqual(Array(7).fill(null));
      expect(results!.map(([, v]) => v)).toEqual(["OK", 5, 2, 2, "hello", { bid: "100.5", ask: "101" }, ["bid", "ask"]]);
    } finally {
      await redis.del(`${key}:s`, `${key}:n`, `${key}:h`, `${key}:z`);
      await redis.quit();
    }
  });
});

describe("opensearch (@opensearch-project/opensearch)", () => {
  it("indexes, refreshes and searches", async () => {
    const client = new OpenSearchClient({ node: env.opensearchUrl });
    const index = `infra-test-${run}`;
    try {
      await client.indices.create({
        index,
        body: {
          settings: { number_of_shards: 1, number_of_replicas: 0 },
          mappings: { properties: { symbol: { type: "keyword" }, note: { type: "text" }, price: { type: "double" } } },
        },
      });
      await client.index({ index, id: "1", body: { symbol: "BTC-USD", note: "first fill of the day", price: 65000.5 } });
      await client.index({ index, id: "2", body: { symbol: "ETH-USD", note: "a partial fill", price: 3200 } });
      await client.indices.refresh({ index });
      const res = await client.search({
        index,
        body: { query: { bool: { must: [{ match: { note: "fill" } }], filter: [{ term: { symbol: "BTC-USD" } }] } } },
      });
      const hits = res.body.hits.hits;
      expect(hits).toHaveLength(1);
      expect(hits[0]._id).toBe("1");
      expect(hits[0]._source).toMatchObject({ symbol: "BTC-USD", price: 65000.5 });
    } finally {
      await client.indices.delete({ index }).catch(() => {});
      await client.close();
    }
  });
});

describe("aws (moto server)", () => {
  it("DynamoDB TransactWriteItems: one failed condition cancels the whole transaction", async () => {
    const ddb = new DynamoDBClient(awsConfig);
    const TableName = `infra-test-${run}`;
    try {
      await ddb.send(
        new CreateTableCommand({
          TableName,
          BillingMode: "PAY_PER_REQUEST",
          AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
          KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        }),
      );
      await waitUntilTableExists({ client: ddb, maxWaitTime: 30 }, { TableName });
      await ddb.send(new PutItemCommand({ TableName, Item: { pk: { S: "balance#alice" }, amount: { N: "5" } } }));

      let err: unknown;
      try {
        await ddb.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              // would succeed alone
              {
                Put: {
                  TableName,
                  Item: { pk: { S: "order#1" }, qty: { N: "1" } },
                  ConditionExpression: "attribute_not_exists(pk)",
                },
              },
              // fails: alice has 5, not >= 10
              {
                Update: {
                  TableName,
                  Key: { pk: { S: "balance#alice" } },
                  UpdateExpression: "SET amount = amount - :d",
                  ConditionExpression: "amount >= :d",
                  ExpressionAttributeValues: { ":d": { N: "10" } },
                },
              },
            ],
          }),
        );
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TransactionCanceledException);
      const reasons = (err as TransactionCanceledException).CancellationReasons?.map((r) => r.Code);
      expect(reasons).toEqual(["None", "ConditionalCheckFailed"]);

      // nothing was written
      const order = await ddb.send(new GetItemCommand({ TableName, Key: { pk: { S: "order#1" } }, ConsistentRead: true }));
      expect(order.Item).toBeUndefined();
      const alice = await ddb.send(new GetItemCommand({ TableName, Key: { pk: { S: "balance#alice" } }, ConsistentRead: true }));
      expect(alice.Item?.amount).toEqual({ N: "5" });

      // and the same transaction with a satisfiable condition commits both items
      await ddb.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName, Item: { pk: { S: "order#1" }, qty: { N: "1" } }, ConditionExpression: "attribute_not_exists(pk)" } },
            {
              Update: {
                TableName,
                Key: { pk: { S: "balance#alice" } },
                UpdateExpression: "SET amount = amount - :d",
                ConditionExpression: "amount >= :d",
                ExpressionAttributeValues: { ":d": { N: "5" } },
              },
            },
          ],
        }),
      );
      const after = await ddb.send(new GetItemCommand({ TableName, Key: { pk: { S: "balance#alice" } }, ConsistentRead: true }));
      expect(after.Item?.amount).toEqual({ N: "0" });
    } finally {
      await ddb.send(new DeleteTableCommand({ TableName })).catch(() => {});
      ddb.destroy();
    }
  });

  // Two wallet replicas commit concurrently, and some of their transactions fail a condition. moto's own
  // server puts back whole-table copies when a transaction fails, wiping what other requests wrote meanwhile
  // (tests/infra/engines/moto-server-untracked.py serializes DynamoDB requests, as DynamoDB isolates them).
  it("DynamoDB TransactWriteItems: concurrent transactions, half of them failing, lose no acknowledged write", async () => {
    const ddb = new DynamoDBClient({ ...awsConfig, maxAttempts: 1 });
    const TableName = `infra-test-concurrent-${run}`;
    try {
      await ddb.send(
        new CreateTableCommand({ TableName, BillingMode: "PAY_PER_REQUEST", AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }], KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }] }),
      );
      await waitUntilTableExists({ client: ddb, maxWaitTime: 30 }, { TableName });
      await ddb.send(new PutItemCommand({ TableName, Item: { pk: { S: "taken" } } }));
      const committed: string[] = [];
      const client = async (n: number) => {
        for (let i = 0; i < 40; i++) {
          // Odd ones fail: their Put finds "taken". Even ones add one to the counter and put their own item.
          const pk = i % 2 === 1 ? "taken" : `item-${n}-${i}`;
          try {
            await ddb.send(
              new TransactWriteItemsCommand({
                TransactItems: [
                  { Put: { TableName, Item: { pk: { S: pk } }, ConditionExpression: "attribute_not_exists(pk)" } },
                  { Update: { TableName, Key: { pk: { S: "counter" } }, UpdateExpression: "ADD n :one", ExpressionAttributeValues: { ":one": { N: "1" } } } },
                ],
              }),
            );
            committed.push(pk);
          } catch (error) {
            if (!(error instanceof TransactionCanceledException)) throw error;
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, (_, n) => client(n)));
      expect(committed).toHaveLength(8 * 20);
      const counter = await ddb.send(new GetItemCommand({ TableName, Key: { pk: { S: "counter" } }, ConsistentRead: true }));
      expect(counter.Item?.n).toEqual({ N: String(committed.length) });
      const missing: string[] = [];
      for (const pk of committed) if (!(await ddb.send(new GetItemCommand({ TableName, Key: { pk: { S: pk } }, ConsistentRead: true }))).Item) missing.push(pk);
      expect(missing).toEqual([]);
    } finally {
      await ddb.send(new DeleteTableCommand({ TableName })).catch(() => {});
      ddb.destroy();
    }
  }, 60_000);

  it("S3 put/get", async () => {
    const s3 = new S3Client({ ...awsConfig, forcePathStyle: true });
    const Bucket = `infra-test-${run}`;
    const Key = "reports/2024/fills.json";
    const body = JSON.stringify({ run, fills: [1, 2, 3] });
    try {
      await s3.send(new CreateBucketCommand({ Bucket }));
      await s3.send(new PutObjectCommand({ Bucket, Key, Body: body, ContentType: "application/json" }));
      const got = await s3.send(new GetObjectCommand({ Bucket, Key }));
      expect(got.ContentType).toBe("application/json");
      expect(await got.Body!.transformToString()).toBe(body);
    } finally {
      await s3.send(new DeleteObjectCommand({ Bucket, Key })).catch(() => {});
      await s3.send(new DeleteBucketCommand({ Bucket })).catch(() => {});
      s3.destroy();
    }
  });

  it("SNS publish is delivered to a subscribed SQS queue", async () => {
    const sns = new SNSClient(awsConfig);
    const sqs = new SQSClient(awsConfig);
    const name = `infra-test-${run}`;
    let TopicArn: string | undefined;
    let QueueUrl: string | undefined;
    try {
      TopicArn = (await sns.send(new CreateTopicCommand({ Name: name }))).TopicArn!;
      QueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
      const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
      const QueueArn = attrs.Attributes!.QueueArn!;
      await sns.send(
        new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: QueueArn, Attributes: { RawMessageDelivery: "true" } }),
      );
      const message = JSON.stringify({ event: "trade", run });
      await sns.send(new PublishCommand({ TopicArn, Message: message }));

      let bodies: string[] = [];
      for (let i = 0; i < 10 && bodies.length === 0; i++) {
        const res = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }));
        bodies = (res.Messages ?? []).map((m) => m.Body!);
      }
      expect(bodies).toEqual([message]);
    } finally {
      if (TopicArn) await sns.send(new DeleteTopicCommand({ TopicArn })).catch(() => {});
      if (QueueUrl) await sqs.send(new DeleteQueueCommand({ QueueUrl })).catch(() => {});
      sns.destroy();
      sqs.destroy();
    }
  });

  it("Secrets Manager create/get", async () => {
    const sm = new SecretsManagerClient(awsConfig);
    const Name = `infra-test/${run}`;
    try {
      await sm.send(new CreateSecretCommand({ Name, SecretString: JSON.stringify({ password: run }) }));
      const got = await sm.send(new GetSecretValueCommand({ SecretId: Name }));
      expect(JSON.parse(got.SecretString!)).toEqual({ password: run });
    } finally {
      await sm.send(new DeleteSecretCommand({ SecretId: Name, ForceDeleteWithoutRecovery: true })).catch(() => {});
      sm.destroy();
    }
  });
});
