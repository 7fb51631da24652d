import {
  BatchGetItemCommand,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  ResourceNotFoundException,
  ScanCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  waitUntilTableExists,
  type AttributeValue,
  type TransactWriteItem,
} from "@aws-sdk/client-dynamodb";
import { runBatch, type BatchWrites, type StateLoader } from "../domain/ledger-engine.js";
import {
  EXTERNAL_ACCOUNT,
  decodeDoc,
  docDue,
  encodeDoc,
  type BalanceRow,
  type Command,
  type CommandKind,
  type Doc,
  type DocType,
  type LedgerEntry,
  type Outcome,
  type Page,
  type TransferRecord,
  type VersionedDoc,
} from "../domain/ledger.js";
import type { LedgerAudit, LedgerStore, PageRequest } from "../ports/ledger-store.port.js";

// The ledger in one DynamoDB table (pk, sk) with one GSI for per-account listings.
//   tx#<id>            -             a transfer: idempotency record (kind, fingerprint, result)
//   bal#<account>      <asset>       a balance: av, lk, pw as Numbers (38 digits exact)
//   doc#<id>           -             a document (hold, withdrawal...): ver, body, due
//   ent#<account>      <time>#<id>#<asset>   a ledger entry
// Each command is one TransactWriteItems: the transfer Put (attribute_not_exists: exactly once),
// balance Updates as ADD deltas guarded by `av >= :need` conditions (DynamoDB refuses to take a
// balance below zero, whatever the caller computed), documents Put under a version condition,
// entries Put. A cancelled transaction is re-read and re-planned; after that a real shortfall
// comes back as INSUFFICIENT_BALANCE from the planner.

const MAX_ATTEMPTS = 20;
const TIME_WIDTH = 15;

export interface DynamoLedgerOptions {
  readonly table: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly client?: DynamoDBClient;
}

const S = (value: string): AttributeValue => ({ S: value });
const N = (value: bigint | number): AttributeValue => ({ N: value.toString() });

/** DynamoDB may answer a Number in exponent form ("1.5E+30"): parse it exactly as an integer. */
export function parseDynamoInteger(text: string): bigint {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) throw new Error(`not a DynamoDB number: ${text}`);
  const [, sign, whole, fraction = "", exponentText = "0"] = match;
  const exponent = Number(exponentText) - fraction.length;
  let digits = BigInt(whole + fraction);
  if (exponent >= 0) digits *= 10n ** BigInt(exponent);
  else {
    const divisor = 10n ** BigInt(-exponent);
    if (digits % divisor !== 0n) throw new Error(`not an integer: ${text}`);
    digits /= divisor;
  }
  return sign === "-" ? -digits : digits;
}

const num = (value: AttributeValue | undefined): bigint => (value?.N === undefined ? 0n : parseDynamoInteger(value.N));
const str = (value: AttributeValue | undefined): string => value?.S ?? "";
const pad = (time: number): string => time.toString().padStart(TIME_WIDTH, "0");

export class DynamoLedgerStore implements LedgerStore {
  readonly engine = "dynamodb";

  private constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
    private readonly ownsClient: boolean,
  ) {}

  /** Creates the table (idempotently) and returns the store. */
  static async open(options: DynamoLedgerOptions): Promise<DynamoLedgerStore> {
    const client = options.client ?? new DynamoDBClient({ region: options.region ?? process.env.AWS_REGION ?? "us-east-1", endpoint: options.endpoint });
    const store = new DynamoLedgerStore(client, options.table, options.client === undefined);
    await store.ensureTable();
    return store;
  }

  private async ensureTable(): Promise<void> {
    try {
      await this.client.send(new DescribeTableCommand({ TableName: this.table }));
      return;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    try {
      await this.client.send(
        new CreateTableCommand({
          TableName: this.table,
          BillingMode: "PAY_PER_REQUEST",
          AttributeDefinitions: [
            { AttributeName: "pk", AttributeType: "S" },
            { AttributeName: "sk", AttributeType: "S" },
            { AttributeName: "gpk", AttributeType: "S" },
            { AttributeName: "gsk", AttributeType: "S" },
          ],
          KeySchema: [
            { AttributeName: "pk", KeyType: "HASH" },
            { AttributeName: "sk", KeyType: "RANGE" },
          ],
          GlobalSecondaryIndexes: [
            {
              IndexName: "by_account",
              KeySchema: [
                { AttributeName: "gpk", KeyType: "HASH" },
                { AttributeName: "gsk", KeyType: "RANGE" },
              ],
              Projection: { ProjectionType: "ALL" },
            },
          ],
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name !== "ResourceInUseException") throw error;
    }
    await waitUntilTableExists({ client: this.client, maxWaitTime: 60 }, { TableName: this.table });
  }

  async execute(commands: readonly Command[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    for (const command of commands) outcomes.push(await this.executeOne(command));
    return outcomes;
  }

  private async executeOne(command: Command): Promise<Outcome> {
    // After an ambiguous failure (a 5xx, a lost response) the write may have happened: the retry
    // then finds our own transfer, which is our success, not someone else's duplicate.
    let ambiguous = false;
    for (let attempt = 1; ; attempt += 1) {
      const { outcomes, writes } = await runBatch([command], this.loader);
      const outcome = outcomes[0]!;
      if (outcome.ok && outcome.duplicate && ambiguous) return { ok: true, duplicate: false, result: outcome.result };
      if (!outcome.ok || outcome.duplicate) return outcome;
      try {
        await this.client.send(new TransactWriteItemsCommand({ TransactItems: this.transactItems(writes) }));
        return outcome;
      } catch (error) {
        const conflict = error instanceof TransactionCanceledException || (error as { name?: string }).name === "TransactionConflictException";
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
        const unknownOutcome = !conflict && (status >= 500 || status === 0 || (error as { name?: string }).name === "SyntaxError");
        if ((!conflict && !unknownOutcome) || attempt >= MAX_ATTEMPTS) throw error;
        ambiguous ||= unknownOutcome;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 4 * attempt));
      }
    }
  }

  private transactItems(writes: BatchWrites): TransactWriteItem[] {
    const items: TransactWriteItem[] = [];
    for (const record of writes.transfers) {
      items.push({
        Put: {
          TableName: this.table,
          Item: { pk: S(`tx#${record.id}`), sk: S("-"), kind: S(record.kind), fp: S(record.fingerprint), result: S(JSON.stringify(record.result)), time: N(record.time) },
          ConditionExpression: "attribute_not_exists(pk)",
        },
      });
    }
    for (const write of writes.balances) {
      const before = write.before ?? { available: 0n, locked: 0n, pending: 0n };
      const fields = [
        ["av", write.after.available - before.available],
        ["lk", write.after.locked - before.locked],
        ["pw", write.after.pending - before.pending],
      ] as const;
      const changed = fields.filter(([, delta]) => delta !== 0n);
      if (changed.length === 0) continue;
      const values: Record<string, AttributeValue> = {};
      const conditions: string[] = [];
      for (const [field, delta] of changed) {
        values[`:d${field}`] = N(delta);
        if (delta < 0n) {
          values[`:n${field}`] = N(-delta);
          conditions.push(`${field} >= :n${field}`);
        }
      }
      items.push({
        Update: {
          TableName: this.table,
          Key: { pk: S(`bal#${write.account}`), sk: S(write.asset) },
          UpdateExpression: `ADD ${changed.map(([field]) => `${field} :d${field}`).join(", ")}`,
          ConditionExpression: conditions.length > 0 ? conditions.join(" AND ") : undefined,
          ExpressionAttributeValues: values,
        },
      });
    }
    for (const write of writes.docs) {
      const due = docDue(write.doc);
      const item: Record<string, AttributeValue> = {
        pk: S(`doc#${write.doc.id}`),
        sk: S("-"),
        type: S(write.doc.type),
        account: S(write.doc.account),
        ver: N(write.version),
        body: S(encodeDoc(write.doc)),
        gpk: S(`${write.doc.account}#${write.doc.type}`),
        gsk: S(`${pad(write.doc.createdAt)}#${write.doc.id}`),
      };
      if (due !== null) item.due = N(due);
      items.push({
        Put:
          write.beforeVersion === 0
            ? { TableName: this.table, Item: item, ConditionExpression: "attribute_not_exists(pk)" }
            : { TableName: this.table, Item: item, ConditionExpression: "ver = :v", ExpressionAttributeValues: { ":v": N(write.beforeVersion) } },
      });
    }
    for (const entry of writes.entries) {
      items.push({
        Put: {
          TableName: this.table,
          Item: {
            pk: S(`ent#${entry.account}`),
            sk: S(`${pad(entry.time)}#${entry.transferId}#${entry.asset}`),
            tid: S(entry.transferId),
            kind: S(entry.kind),
            asset: S(entry.asset),
            av: N(entry.available),
            lk: N(entry.locked),
            pw: N(entry.pending),
            time: N(entry.time),
          },
        },
      });
    }
    if (items.length > 100) throw new Error(`a command touching ${items.length} items exceeds DynamoDB's 100-item transaction`);
    return items;
  }

  private readonly loader: StateLoader = {
    transfers: async (ids) => {
      const items = await this.batchGet(ids.map((id) => ({ pk: S(`tx#${id}`), sk: S("-") })));
      return items.map(toTransfer);
    },
    balances: async (keys) => {
      const items = await this.batchGet(keys.map((key) => ({ pk: S(`bal#${key.account}`), sk: S(key.asset) })));
      return items.map(toBalance);
    },
    docs: async (ids) => {
      const items = await this.batchGet(ids.map((id) => ({ pk: S(`doc#${id}`), sk: S("-") })));
      return items.map((item) => ({ doc: decodeDoc(str(item.body)), version: Number(num(item.ver)) }));
    },
  };

  private async batchGet(keys: Record<string, AttributeValue>[]): Promise<Record<string, AttributeValue>[]> {
    const found: Record<string, AttributeValue>[] = [];
    const unique = [...new Map(keys.map((key) => [`${str(key.pk)}\u0000${str(key.sk)}`, key])).values()];
    for (let start = 0; start < unique.length; start += 100) {
      let pending: Record<string, AttributeValue>[] | undefined = unique.slice(start, start + 100);
      while (pending && pending.length > 0) {
        const response = await this.client.send(new BatchGetItemCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true } } }));
        found.push(...(response.Responses?.[this.table] ?? []));
        pending = response.UnprocessedKeys?.[this.table]?.Keys as Record<string, AttributeValue>[] | undefined;
      }
    }
    return found;
  }

  async balances(account: string): Promise<BalanceRow[]> {
    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const response = await this.client.send(
        new QueryCommand({ TableName: this.table, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": S(`bal#${account}`) }, ConsistentRead: true, ExclusiveStartKey: start }),
      );
      items.push(...(response.Items ?? []));
      start = response.LastEvaluatedKey;
    } while (start);
    return items.map(toBalance).sort((a, b) => (a.asset < b.asset ? -1 : 1));
  }

  async doc(id: string): Promise<VersionedDoc | undefined> {
    const response = await this.client.send(new GetItemCommand({ TableName: this.table, Key: { pk: S(`doc#${id}`), sk: S("-") }, ConsistentRead: true }));
    return response.Item ? { doc: decodeDoc(str(response.Item.body)), version: Number(num(response.Item.ver)) } : undefined;
  }

  async transfer(id: string): Promise<TransferRecord | undefined> {
    const response = await this.client.send(new GetItemCommand({ TableName: this.table, Key: { pk: S(`tx#${id}`), sk: S("-") }, ConsistentRead: true }));
    return response.Item ? toTransfer(response.Item) : undefined;
  }

  async listDocs(account: string, type: DocType, page: PageRequest): Promise<Page<Doc>> {
    const size = pageSize(page);
    const response = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: "by_account",
        KeyConditionExpression: page.token === "" ? "gpk = :g" : "gpk = :g AND gsk < :c",
        ExpressionAttributeValues: page.token === "" ? { ":g": S(`${account}#${type}`) } : { ":g": S(`${account}#${type}`), ":c": S(page.token) },
        ScanIndexForward: false,
        Limit: size + 1,
      }),
    );
    const items = (response.Items ?? []).slice(0, size);
    const more = (response.Items ?? []).length > size;
    return { items: items.map((item) => decodeDoc(str(item.body))), next: more ? str(items[items.length - 1]?.gsk) : "" };
  }

  async dueDocs(type: DocType, now: number, limit: number): Promise<Doc[]> {
    const docs: Doc[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const response = await this.client.send(
        new ScanCommand({
          TableName: this.table,
          FilterExpression: "#type = :t AND due <= :now",
          ExpressionAttributeNames: { "#type": "type" },
          ExpressionAttributeValues: { ":t": S(type), ":now": N(now) },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of response.Items ?? []) docs.push(decodeDoc(str(item.body)));
      start = response.LastEvaluatedKey;
    } while (start);
    return docs.sort((a, b) => (a.type === "hold" && b.type === "hold" ? a.expiresAt - b.expiresAt : 0)).slice(0, limit);
  }

  async entries(account: string, asset: string, page: PageRequest): Promise<Page<LedgerEntry>> {
    const size = pageSize(page);
    const collected: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const response = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: page.token === "" ? "pk = :pk" : "pk = :pk AND sk < :c",
          FilterExpression: asset === "" ? undefined : "asset = :a",
          ExpressionAttributeValues: {
            ":pk": S(`ent#${account}`),
            ...(page.token === "" ? {} : { ":c": S(page.token) }),
            ...(asset === "" ? {} : { ":a": S(asset) }),
          },
          ScanIndexForward: false,
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      collected.push(...(response.Items ?? []));
      start = response.LastEvaluatedKey;
    } while (start && collected.length <= size);
    const items = collected.slice(0, size);
    return {
      items: items.map((item) => ({
        transferId: str(item.tid),
        kind: str(item.kind) as CommandKind,
        account,
        asset: str(item.asset),
        available: num(item.av),
        locked: num(item.lk),
        pending: num(item.pw),
        time: Number(num(item.time)),
      })),
      next: collected.length > size ? str(items[items.length - 1]?.sk) : "",
    };
  }

  async audit(): Promise<LedgerAudit> {
    const balances = new Map<string, bigint>();
    const netInflow = new Map<string, bigint>();
    const negative: BalanceRow[] = [];
    let transfers = 0;
    let start: Record<string, AttributeValue> | undefined;
    do {
      const response = await this.client.send(new ScanCommand({ TableName: this.table, ExclusiveStartKey: start, ConsistentRead: true }));
      for (const item of response.Items ?? []) {
        const pk = str(item.pk);
        if (pk.startsWith("bal#")) {
          const row = toBalance(item);
          balances.set(row.asset, (balances.get(row.asset) ?? 0n) + row.available + row.locked + row.pending);
          if (row.available < 0n || row.locked < 0n || row.pending < 0n) negative.push(row);
        } else if (pk === `ent#${EXTERNAL_ACCOUNT}`) {
          const asset = str(item.asset);
          netInflow.set(asset, (netInflow.get(asset) ?? 0n) - num(item.av));
        } else if (pk.startsWith("tx#")) {
          transfers += 1;
        }
      }
      start = response.LastEvaluatedKey;
    } while (start);
    return { balances, netInflow, negative, transfers };
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }
}

function pageSize(page: PageRequest): number {
  return page.size > 0 ? Math.min(page.size, 1000) : 100;
}

function toBalance(item: Record<string, AttributeValue>): BalanceRow {
  return { account: str(item.pk).slice("bal#".length), asset: str(item.sk), available: num(item.av), locked: num(item.lk), pending: num(item.pw) };
}

function toTransfer(item: Record<string, AttributeValue>): TransferRecord {
  return {
    id: str(item.pk).slice("tx#".length),
    kind: str(item.kind) as CommandKind,
    fingerprint: str(item.fp),
    result: JSON.parse(str(item.result) || "{}") as Record<string, string>,
    time: Number(num(item.time)),
  };
}
