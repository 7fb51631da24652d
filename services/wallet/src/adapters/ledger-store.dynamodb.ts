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
  UpdateItemCommand,
  UpdateTableCommand,
  waitUntilTableExists,
  type AttributeValue,
  type CreateTableCommandInput,
  type KeySchemaElement,
  type TableDescription,
  type TransactWriteItem,
} from "@aws-sdk/client-dynamodb";
import { decodeQueueCursor, encodeQueueCursor } from "../domain/approval-queue.js";
import { decodeHistoryCursor, encodeHistoryCursor, isOlder, type HistoryPosition } from "../domain/history-cursor.js";
import { runBatch, type BatchWrites, type StateLoader } from "../domain/ledger-engine.js";
import {
  ADJUSTMENT_ACCOUNT,
  EXTERNAL_ACCOUNT,
  decodeDoc,
  docAwaitingSince,
  docDue,
  encodeDoc,
  type BalanceRow,
  type Doc,
  type DocType,
  type LedgerEntry,
  type Outcome,
  type Page,
  type TransferRecord,
  type VersionedDoc,
  type WithdrawalDoc,
  type Command,
} from "../domain/ledger.js";
import type { LedgerAudit, LedgerStore, PageRequest } from "../ports/ledger-store.port.js";
import {
  ACCOUNT_SLOTS,
  APPROVAL_INDEX,
  APPROVAL_QUEUE,
  N,
  S,
  decodeEntries,
  decodeTransfer,
  ledgerTables,
  num,
  pad,
  str,
  transferItem,
  transferOrder,
  type LedgerTables,
} from "./ledger-items.dynamodb.js";

export { parseDynamoInteger } from "./ledger-items.dynamodb.js";

// The ledger in three DynamoDB tables split by access pattern (see ledger-items.dynamodb.ts).
// Each command is one TransactWriteItems: the transfer Put (attribute_not_exists: exactly once,
// carrying its packed entries), balance Updates as ADD deltas guarded by `av >= :need`
// conditions (DynamoDB refuses to take a balance below zero, whatever the caller computed), and
// documents Put under a version condition. A cancelled transaction is re-read and re-planned;
// after that a real shortfall comes back as INSUFFICIENT_BALANCE from the planner.

const MAX_ATTEMPTS = 20;

export interface DynamoLedgerOptions {
  /** The tables' common prefix: `dynamodb:<name>` makes <name>-balances, -docs, -transfers. */
  readonly table: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly client?: DynamoDBClient;
  /**
   * Give every withdrawal awaiting approval that lacks them its approval-queue attributes (one
   * Scan of the docs table), even when the queue's index exists already: `npm run migrate` does,
   * to pick up withdrawals that replicas older than the queue requested during a rollout. Opening
   * a table without the index does it anyway, before adding the index.
   */
  readonly backfillApprovalQueue?: boolean;
}

/** How long opening waits for DynamoDB to fill a new index on an existing docs table. */
const INDEX_WAIT_MS = 15 * 60_000;

type Item = Record<string, AttributeValue>;

export class DynamoLedgerStore implements LedgerStore {
  readonly engine = "dynamodb";
  readonly tables: LedgerTables;

  private constructor(
    private readonly client: DynamoDBClient,
    name: string,
    private readonly ownsClient: boolean,
  ) {
    this.tables = ledgerTables(name);
  }

  /** Creates the tables (idempotently) and returns the store. */
  static async open(options: DynamoLedgerOptions): Promise<DynamoLedgerStore> {
    const client = options.client ?? new DynamoDBClient({ region: options.region ?? process.env.AWS_REGION ?? "us-east-1", endpoint: options.endpoint });
    const store = new DynamoLedgerStore(client, options.table, options.client === undefined);
    await store.ensureTables(options.backfillApprovalQueue ?? false);
    return store;
  }

  private async ensureTables(backfill: boolean): Promise<void> {
    const { balances, docs, transfers } = this.tables;
    const [, docsTable] = await Promise.all([
      this.ensureTable({ TableName: balances, BillingMode: "PAY_PER_REQUEST", AttributeDefinitions: strings("pk", "sk"), KeySchema: key("pk", "sk") }),
      this.ensureTable({
        TableName: docs,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: strings("pk", "gpk", "gsk", "qpk", "qsk"),
        KeySchema: key("pk"),
        GlobalSecondaryIndexes: [
          { IndexName: "by_account", KeySchema: key("gpk", "gsk"), Projection: { ProjectionType: "ALL" } },
          { IndexName: APPROVAL_INDEX, KeySchema: key("qpk", "qsk"), Projection: { ProjectionType: "ALL" } },
        ],
      }),
      this.ensureTable({
        TableName: transfers,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: strings("pk", "t", ...ACCOUNT_SLOTS),
        KeySchema: key("pk"),
        GlobalSecondaryIndexes: ACCOUNT_SLOTS.map((slot) => ({ IndexName: `by_${slot}`, KeySchema: key(slot, "t"), Projection: { ProjectionType: "ALL" as const } })),
        // The history projection reads this stream: the transaction of record is the only write.
        StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_IMAGE" },
      }),
    ]);
    // A docs table made before the approval queue: give it the queue's index (migration). One
    // another replica is adding is waited for.
    const index = docsTable === undefined ? { IndexStatus: "ACTIVE" } : docsTable.GlobalSecondaryIndexes?.find((candidate) => candidate.IndexName === APPROVAL_INDEX);
    if (!index || backfill) await this.backfillApprovalQueue();
    if (!index) await this.addApprovalIndex();
    else if (index.IndexStatus !== undefined && index.IndexStatus !== "ACTIVE") await this.approvalIndexActive();
  }

  /**
   * Sets the approval-queue attributes on every withdrawal awaiting approval that lacks them (they
   * were written before the queue existed). One Scan of the docs table, at migration only. Each
   * update is conditioned on the version read, so a withdrawal approved or rejected meanwhile is
   * left alone (its new version, written by this code, is right already).
   */
  private async backfillApprovalQueue(): Promise<void> {
    const docs = this.tables.docs;
    const waiting = await this.scan(docs, {
      FilterExpression: "contains(body, :waiting) AND attribute_not_exists(qpk)",
      ExpressionAttributeValues: { ":waiting": S('"status":"awaiting_approval"') },
      ProjectionExpression: "pk, ver, body",
    });
    for (const item of waiting) {
      const doc = decodeDoc(str(item.body));
      const since = docAwaitingSince(doc);
      if (since === null) continue;
      try {
        await this.client.send(
          new UpdateItemCommand({
            TableName: docs,
            Key: { pk: item.pk! },
            UpdateExpression: "SET qpk = :q, qsk = :s",
            ConditionExpression: "ver = :v",
            ExpressionAttributeValues: { ":q": S(APPROVAL_QUEUE), ":s": S(encodeQueueCursor({ since, id: doc.id })), ":v": item.ver! },
          }),
        );
      } catch (error) {
        if ((error as { name?: string }).name !== "ConditionalCheckFailedException") throw error;
      }
    }
  }

  /** Adds the approval queue's index to an existing docs table and waits until DynamoDB has filled it. */
  private async addApprovalIndex(): Promise<void> {
    const docs = this.tables.docs;
    try {
      await this.client.send(
        new UpdateTableCommand({
          TableName: docs,
          AttributeDefinitions: strings("qpk", "qsk"),
          GlobalSecondaryIndexUpdates: [{ Create: { IndexName: APPROVAL_INDEX, KeySchema: key("qpk", "qsk"), Projection: { ProjectionType: "ALL" } } }],
        }),
      );
    } catch (error) {
      // Another replica is adding it (the table is being updated, or the index exists by now): wait for it.
      const name = (error as { name?: string }).name ?? "";
      const message = (error as { message?: string }).message ?? "";
      if (name !== "ResourceInUseException" && !(name === "ValidationException" && /already exists/i.test(message))) throw error;
    }
    await this.approvalIndexActive();
  }

  /** Waits until DynamoDB has filled the approval queue's index (it fills a new index from the existing items). */
  private async approvalIndexActive(): Promise<void> {
    const docs = this.tables.docs;
    const deadline = Date.now() + INDEX_WAIT_MS;
    for (;;) {
      const { Table } = await this.client.send(new DescribeTableCommand({ TableName: docs }));
      const index = Table?.GlobalSecondaryIndexes?.find((candidate) => candidate.IndexName === APPROVAL_INDEX);
      if (index && (index.IndexStatus === undefined || index.IndexStatus === "ACTIVE")) return;
      if (Date.now() > deadline) throw new Error(`index ${APPROVAL_INDEX} of ${docs} is not active after ${INDEX_WAIT_MS / 60_000} minutes (${index?.IndexStatus ?? "missing"})`);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  }

  /** The table's description if it existed; undefined when this call created it. */
  private async ensureTable(input: CreateTableCommandInput): Promise<TableDescription | undefined> {
    try {
      const { Table } = await this.client.send(new DescribeTableCommand({ TableName: input.TableName }));
      return Table ?? {};
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    try {
      await this.client.send(new CreateTableCommand(input));
    } catch (error) {
      if ((error as { name?: string }).name !== "ResourceInUseException") throw error;
    }
    await waitUntilTableExists({ client: this.client, maxWaitTime: 60 }, { TableName: input.TableName });
    return undefined;
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
      // The transfer, balances and documents are read in separate requests: a refusal may come from reads that
      // straddle another replica's commit of this same command (its effects seen, its transfer not). If the
      // transfer is there now, the next round answers the command as the duplicate it is.
      if (!outcome.ok && attempt < MAX_ATTEMPTS && (await this.transfer(command.id))) continue;
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
      const entries = writes.entries.filter((entry) => entry.transferId === record.id);
      items.push({ Put: { TableName: this.tables.transfers, Item: transferItem(record, entries), ConditionExpression: "attribute_not_exists(pk)" } });
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
          TableName: this.tables.balances,
          Key: { pk: S(write.account), sk: S(write.asset) },
          UpdateExpression: `ADD ${changed.map(([field]) => `${field} :d${field}`).join(", ")}`,
          ConditionExpression: conditions.length > 0 ? conditions.join(" AND ") : undefined,
          ExpressionAttributeValues: values,
        },
      });
    }
    for (const write of writes.docs) {
      const due = docDue(write.doc);
      const item: Item = {
        pk: S(write.doc.id),
        ver: N(write.version),
        body: S(encodeDoc(write.doc)),
        gpk: S(`${write.doc.account}#${write.doc.type}`),
        gsk: S(`${pad(write.doc.createdAt)}#${write.doc.id}`),
      };
      if (due !== null) item.due = N(due);
      const since = docAwaitingSince(write.doc);
      if (since !== null) {
        item.qpk = S(APPROVAL_QUEUE);
        item.qsk = S(encodeQueueCursor({ since, id: write.doc.id }));
      }
      const table = this.tables.docs;
      items.push({
        Put:
          write.beforeVersion === 0
            ? { TableName: table, Item: item, ConditionExpression: "attribute_not_exists(pk)" }
            : { TableName: table, Item: item, ConditionExpression: "ver = :v", ExpressionAttributeValues: { ":v": N(write.beforeVersion) } },
      });
    }
    if (items.length > 100) throw new Error(`a command touching ${items.length} items exceeds DynamoDB's 100-item transaction`);
    return items;
  }

  private readonly loader: StateLoader = {
    transfers: async (ids) => (await this.batchGet(this.tables.transfers, ids.map((id) => ({ pk: S(id) })), "pk, r")).map(decodeTransfer),
    balances: async (keys) => (await this.batchGet(this.tables.balances, keys.map((key) => ({ pk: S(key.account), sk: S(key.asset) })))).map(toBalance),
    docs: async (ids) => (await this.batchGet(this.tables.docs, ids.map((id) => ({ pk: S(id) })), "body, ver")).map(toVersionedDoc),
  };

  private async batchGet(table: string, keys: Item[], projection?: string): Promise<Item[]> {
    const found: Item[] = [];
    const unique = [...new Map(keys.map((key) => [`${str(key.pk)}\u0000${str(key.sk)}`, key])).values()];
    for (let start = 0; start < unique.length; start += 100) {
      let pending: Item[] | undefined = unique.slice(start, start + 100);
      while (pending && pending.length > 0) {
        const response = await this.client.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true, ProjectionExpression: projection } } }));
        found.push(...(response.Responses?.[table] ?? []));
        pending = response.UnprocessedKeys?.[table]?.Keys as Item[] | undefined;
      }
    }
    return found;
  }

  async balances(account: string): Promise<BalanceRow[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const response = await this.client.send(
        new QueryCommand({ TableName: this.tables.balances, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": S(account) }, ConsistentRead: true, ExclusiveStartKey: start }),
      );
      items.push(...(response.Items ?? []));
      start = response.LastEvaluatedKey;
    } while (start);
    return items.map(toBalance).sort((a, b) => (a.asset < b.asset ? -1 : 1));
  }

  /** Every balance item, for reconciliation: one Scan of the small balances table. */
  async allBalances(): Promise<BalanceRow[]> {
    return (await this.scan(this.tables.balances)).map(toBalance);
  }

  async doc(id: string): Promise<VersionedDoc | undefined> {
    const response = await this.client.send(new GetItemCommand({ TableName: this.tables.docs, Key: { pk: S(id) }, ConsistentRead: true }));
    return response.Item ? toVersionedDoc(response.Item) : undefined;
  }

  async transfer(id: string): Promise<TransferRecord | undefined> {
    const response = await this.client.send(new GetItemCommand({ TableName: this.tables.transfers, Key: { pk: S(id) }, ConsistentRead: true, ProjectionExpression: "pk, r" }));
    return response.Item ? decodeTransfer(response.Item) : undefined;
  }

  async listDocs(account: string, type: DocType, page: PageRequest): Promise<Page<Doc>> {
    const size = pageSize(page);
    const response = await this.client.send(
      new QueryCommand({
        TableName: this.tables.docs,
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
    // Only documents the ledger's clock acts on carry `due` (docDue): pending holds with a timeout, pending withdrawals.
    const items = await this.scan(this.tables.docs, { FilterExpression: "due <= :now", ExpressionAttributeValues: { ":now": N(now) } });
    const docs = items.map((item) => decodeDoc(str(item.body))).filter((doc) => doc.type === type);
    return docs.sort((a, b) => (docDue(a) ?? 0) - (docDue(b) ?? 0)).slice(0, limit);
  }

  /**
   * The sparse index `by_approval`, oldest first: it holds only withdrawals awaiting approval, so a
   * page costs what it returns. Index reads are eventually consistent on DynamoDB: a withdrawal
   * approved a moment ago may still be listed (approving it again fails INVALID_STATE).
   */
  async awaitingApproval(page: PageRequest): Promise<Page<WithdrawalDoc>> {
    const size = pageSize(page);
    const after = decodeQueueCursor(page.token);
    const items: Item[] = [];
    let start: Item | undefined;
    // Until one more than a page is found: DynamoDB may stop early (1 MB per response).
    do {
      const response = await this.client.send(
        new QueryCommand({
          TableName: this.tables.docs,
          IndexName: APPROVAL_INDEX,
          KeyConditionExpression: after ? "qpk = :q AND qsk > :c" : "qpk = :q",
          ExpressionAttributeValues: { ":q": S(APPROVAL_QUEUE), ...(after ? { ":c": S(encodeQueueCursor(after)) } : {}) },
          ScanIndexForward: true,
          Limit: size + 1 - items.length,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(response.Items ?? []));
      start = response.LastEvaluatedKey;
    } while (start && items.length <= size);
    const found = items.slice(0, size);
    return { items: found.map((item) => decodeDoc(str(item.body)) as WithdrawalDoc), next: items.length > size ? str(found[found.length - 1]?.qsk) : "" };
  }

  /**
   * Newest first by (time, transfer id, entry index): the three account indexes of the transfers
   * table merged. Index reads are eventually consistent on DynamoDB (immediate on moto).
   */
  async entries(account: string, asset: string, page: PageRequest): Promise<Page<LedgerEntry>> {
    const size = pageSize(page);
    const after = decodeHistoryCursor(page.token);
    const sources = ACCOUNT_SLOTS.map((slot) => this.historyOf(slot, account, after));
    const heads = await Promise.all(sources.map((source) => source.next()));
    const items: LedgerEntry[] = [];
    let last: HistoryPosition | undefined;
    for (;;) {
      let pick = -1;
      heads.forEach((head, at) => {
        if (head.done) return;
        if (pick < 0 || str(head.value.t) > str((heads[pick]!.value as Item).t)) pick = at;
      });
      if (pick < 0) return { items, next: "" };
      const item = heads[pick]!.value as Item;
      heads[pick] = await sources[pick]!.next();
      const record = decodeTransfer(item);
      const entries = decodeEntries(item, record);
      for (let index = entries.length - 1; index >= 0; index -= 1) {
        const entry = entries[index]!;
        if (entry.account !== account || (asset !== "" && entry.asset !== asset)) continue;
        const position = { time: record.time, transferId: record.id, index };
        if (after && !isOlder(position, after)) continue;
        if (items.length === size) return { items, next: encodeHistoryCursor(last!) };
        items.push(entry);
        last = position;
      }
    }
  }

  private async *historyOf(slot: string, account: string, after: HistoryPosition | undefined): AsyncGenerator<Item> {
    let start: Item | undefined;
    do {
      const response = await this.client.send(
        new QueryCommand({
          TableName: this.tables.transfers,
          IndexName: `by_${slot}`,
          KeyConditionExpression: after ? "#a = :a AND t <= :t" : "#a = :a",
          ExpressionAttributeNames: { "#a": slot },
          ExpressionAttributeValues: { ":a": S(account), ...(after ? { ":t": S(transferOrder(after.time, after.transferId)) } : {}) },
          ScanIndexForward: false,
          Limit: 100,
          ExclusiveStartKey: start,
        }),
      );
      yield* response.Items ?? [];
      start = response.LastEvaluatedKey;
    } while (start);
  }

  async audit(): Promise<LedgerAudit> {
    const balances = new Map<string, bigint>();
    const netInflow = new Map<string, bigint>();
    const adjustments = new Map<string, bigint>();
    const negative: BalanceRow[] = [];
    for (const row of await this.allBalances()) {
      balances.set(row.asset, (balances.get(row.asset) ?? 0n) + row.available + row.locked + row.pending);
      if (row.available < 0n || row.locked < 0n || row.pending < 0n) negative.push(row);
    }
    const transfers = await this.scan(this.tables.transfers, { ProjectionExpression: "pk, r, e" });
    for (const item of transfers) {
      for (const entry of decodeEntries(item)) {
        if (entry.account === EXTERNAL_ACCOUNT) netInflow.set(entry.asset, (netInflow.get(entry.asset) ?? 0n) - entry.available);
        else if (entry.account === ADJUSTMENT_ACCOUNT) adjustments.set(entry.asset, (adjustments.get(entry.asset) ?? 0n) - entry.available);
      }
    }
    return { balances, netInflow, adjustments, negative, transfers: transfers.length };
  }

  private async scan(table: string, input: { FilterExpression?: string; ExpressionAttributeValues?: Item; ProjectionExpression?: string } = {}): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const response = await this.client.send(new ScanCommand({ TableName: table, ...input, ExclusiveStartKey: start, ConsistentRead: true }));
      items.push(...(response.Items ?? []));
      start = response.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }
}

const key = (hash: string, range?: string): KeySchemaElement[] => [{ AttributeName: hash, KeyType: "HASH" }, ...(range ? [{ AttributeName: range, KeyType: "RANGE" as const }] : [])];
const strings = (...names: string[]) => names.map((name) => ({ AttributeName: name, AttributeType: "S" as const }));

function pageSize(page: PageRequest): number {
  return page.size > 0 ? Math.min(page.size, 1000) : 100;
}

function toBalance(item: Item): BalanceRow {
  return { account: str(item.pk), asset: str(item.sk), available: num(item.av), locked: num(item.lk), pending: num(item.pw) };
}

function toVersionedDoc(item: Item): VersionedDoc {
  return { doc: decodeDoc(str(item.body)), version: Number(num(item.ver)) };
}
