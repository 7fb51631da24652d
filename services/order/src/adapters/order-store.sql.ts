import { PostgresAdapter, sql, type Kysely, type Migration, type Selectable } from "kysely";
import type { Order, UserTrade } from "../domain/order.js";
import type { TradePrint } from "../domain/trade-prices.js";
import type { OpenOrderCounts } from "../domain/symbol-filters.js";
import type { OrderList, OrderListQuery } from "../domain/order-list.js";
import { scanOf, type OrderQuery, type TradeQuery } from "../domain/order-history.js";
import type { DiscardedOrders, OrderPage, OrderStore } from "../ports/order-store.port.js";
import { preparedQuery } from "#kit/db/prepared-query.js";
import { SqlOutbox, outboxMigration } from "#kit/outbox/outbox.sql.js";
import type { NotificationEvent } from "#kit/ports/notifier.port.js";

/** User notifications stored with the batches they come from (relayed to the notifier topic). */
export const ORDER_OUTBOX = "order_outbox";

// One implementation for SQLite and PostgreSQL through Kysely. Integer units are TEXT so
// values beyond 2^63 (18-decimal assets) survive both engines; ids and times are BIGINT.

interface OrdersTable {
  symbol: string;
  order_id: number | string;
  account_id: string;
  client_order_id: string;
  body: string;
  status: number;
  open: number;
  submitted: number;
  created_at: number | string;
  /** 0: none (004). */
  order_list_id: number | string;
  /** What the MAX_NUM_* filters count it as: 0 plain, 1 stop or take-profit ("algo"), 2 iceberg (007). */
  kind: number;
}

interface OrderListsTable {
  order_list_id: number | string;
  account_id: string;
  symbol: string;
  list_client_order_id: string;
  body: string;
  created_at: number | string;
}

/** The counter row of order list ids (no symbol has this name). */
const LIST_COUNTER = "#order_lists";

interface TradesTable {
  symbol: string;
  trade_id: number | string;
  is_maker: number;
  account_id: string;
  order_id: number | string;
  body: string;
  /** The trade's time (ms), for myTrades' time window; 003 filled it in for older rows. */
  time: number | string;
}

export interface OrderTables {
  order_orders: OrdersTable;
  order_trades: TradesTable;
  order_lists: OrderListsTable;
  order_counters: { symbol: string; next_id: number | string };
  order_consumers: { symbol: string; last_sequence: number | string };
}

export const orderStoreMigrations: Record<string, Migration> = {
  "002_orders": {
    up: async (db: Kysely<unknown>) => {
      await db.schema
        .createTable("order_orders")
        .ifNotExists()
        .addColumn("symbol", "text", (c) => c.notNull())
        .addColumn("order_id", "bigint", (c) => c.notNull())
        .addColumn("account_id", "text", (c) => c.notNull())
        .addColumn("client_order_id", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("status", "integer", (c) => c.notNull())
        .addColumn("open", "integer", (c) => c.notNull())
        .addColumn("submitted", "integer", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("order_orders_pk", ["symbol", "order_id"])
        .addUniqueConstraint("order_orders_client_id", ["account_id", "client_order_id"])
        .execute();
      await db.schema.createIndex("order_orders_account").ifNotExists().on("order_orders").columns(["account_id", "symbol", "order_id"]).execute();
      await db.schema.createIndex("order_orders_outbox").ifNotExists().on("order_orders").columns(["symbol", "submitted", "order_id"]).execute();
      await db.schema
        .createTable("order_trades")
        .ifNotExists()
        .addColumn("symbol", "text", (c) => c.notNull())
        .addColumn("trade_id", "bigint", (c) => c.notNull())
        .addColumn("is_maker", "integer", (c) => c.notNull())
        .addColumn("account_id", "text", (c) => c.notNull())
        .addColumn("order_id", "bigint", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("order_trades_pk", ["symbol", "trade_id", "is_maker"])
        .execute();
      await db.schema.createIndex("order_trades_account").ifNotExists().on("order_trades").columns(["account_id", "symbol", "trade_id"]).execute();
      await db.schema
        .createTable("order_counters")
        .ifNotExists()
        .addColumn("symbol", "text", (c) => c.primaryKey())
        .addColumn("next_id", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("order_consumers")
        .ifNotExists()
        .addColumn("symbol", "text", (c) => c.primaryKey())
        .addColumn("last_sequence", "bigint", (c) => c.notNull())
        .execute();
    },
  },
  // allOrders / myTrades filtered in SQL: orders by creation time, trades by time and by order.
  "003_order_history": {
    up: async (db: Kysely<unknown>) => {
      await db.schema.alterTable("order_trades").addColumn("time", "bigint", (c) => c.notNull().defaultTo(0)).execute();
      const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
      const bodyTime = postgres ? sql`(body::jsonb ->> 'time')::bigint` : sql`CAST(json_extract(body, '$.time') AS INTEGER)`;
      await sql`UPDATE order_trades SET time = ${bodyTime}`.execute(db);
      await db.schema.createIndex("order_orders_account_time").ifNotExists().on("order_orders").columns(["account_id", "symbol", "created_at", "order_id"]).execute();
      // is_maker last, so a self-trade's two sides come out in index order too (no sort, and the primary key is no better).
      await db.schema.createIndex("order_trades_account_id").ifNotExists().on("order_trades").columns(["account_id", "symbol", "trade_id", "is_maker"]).execute();
      await db.schema.dropIndex("order_trades_account").ifExists().execute();
      await db.schema.createIndex("order_trades_account_time").ifNotExists().on("order_trades").columns(["account_id", "symbol", "time", "trade_id", "is_maker"]).execute();
      await db.schema.createIndex("order_trades_account_order").ifNotExists().on("order_trades").columns(["account_id", "symbol", "order_id", "trade_id", "is_maker"]).execute();
    },
  },
  // The batches' user notifications, relayed to the notifier topic.
  "004_outbox": outboxMigration(ORDER_OUTBOX),
  // Order lists: ids unique across symbols; a list is open while one of its orders is.
  "005_order_lists": {
    up: async (db: Kysely<unknown>) => {
      await db.schema.alterTable("order_orders").addColumn("order_list_id", "bigint", (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.createIndex("order_orders_list").ifNotExists().on("order_orders").columns(["order_list_id", "open"]).execute();
      await db.schema
        .createTable("order_lists")
        .ifNotExists()
        .addColumn("order_list_id", "bigint", (c) => c.primaryKey())
        .addColumn("account_id", "text", (c) => c.notNull())
        .addColumn("symbol", "text", (c) => c.notNull())
        .addColumn("list_client_order_id", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addUniqueConstraint("order_lists_client_id", ["account_id", "list_client_order_id"])
        .execute();
      await db.schema.createIndex("order_lists_account_time").ifNotExists().on("order_lists").columns(["account_id", "created_at", "order_list_id"]).execute();
    },
  },
  // MAX_NUM_ORDERS / MAX_NUM_ALGO_ORDERS / MAX_NUM_ICEBERG_ORDERS: an account's open orders on a
  // symbol counted by kind from the index alone.
  "007_order_kinds": {
    up: async (db: Kysely<unknown>) => {
      await db.schema.alterTable("order_orders").addColumn("kind", "integer", (c) => c.notNull().defaultTo(0)).execute();
      const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
      const type = postgres ? sql`(body::jsonb ->> 'type')::integer` : sql`CAST(json_extract(body, '$.type') AS INTEGER)`;
      const iceberg = postgres ? sql`body::jsonb ->> 'icebergLots'` : sql`json_extract(body, '$.icebergLots')`;
      await sql`UPDATE order_orders SET kind = CASE WHEN ${type} IN (4, 5, 6, 7) THEN 1 WHEN ${iceberg} <> '0n' THEN 2 ELSE 0 END WHERE open = 1`.execute(db);
      await db.schema.createIndex("order_orders_open_kind").ifNotExists().on("order_orders").columns(["account_id", "symbol", "open", "kind"]).execute();
    },
  },
};

/** An order's kind column (007): what the MAX_NUM_* filters count it as. */
const KIND_PLAIN = 0;
const KIND_ALGO = 1;
const KIND_ICEBERG = 2;
const ALGO_TYPES = new Set([4, 5, 6, 7]); // STOP_LOSS, STOP_LOSS_LIMIT, TAKE_PROFIT, TAKE_PROFIT_LIMIT

function kindOf(order: Order): number {
  return ALGO_TYPES.has(order.type) ? KIND_ALGO : order.icebergLots > 0n ? KIND_ICEBERG : KIND_PLAIN;
}

/** Trade rows per read when the recent trades are loaded. */
const RECENT_PAGE = 1_000;

/** Orders per INSERT statement when a batch is stored. */
const INSERT_CHUNK = 500;

const OPEN_STATUSES = new Set([1, 2, 8]); // NEW, PARTIALLY_FILLED, PENDING_NEW

function encodeOrder(order: Order): string {
  return JSON.stringify(order, (_, value) => (typeof value === "bigint" ? `${value}n` : value));
}

function decode<T>(body: string): T {
  return JSON.parse(body, (_, value) => (typeof value === "string" && /^-?\d+n$/.test(value) ? BigInt(value.slice(0, -1)) : value)) as T;
}

function orderRow(order: Order) {
  return {
    symbol: order.symbol,
    order_id: order.orderId,
    account_id: order.accountId,
    client_order_id: order.clientOrderId,
    body: encodeOrder(order),
    status: order.status,
    open: OPEN_STATUSES.has(order.status) ? 1 : 0,
    submitted: order.submitted ? 1 : 0,
    created_at: order.createdAt,
    order_list_id: order.orderListId ?? 0,
    kind: kindOf(order),
  };
}

function listRow(list: OrderList) {
  return {
    order_list_id: list.orderListId,
    account_id: list.accountId,
    symbol: list.symbol,
    list_client_order_id: list.listClientOrderId,
    body: JSON.stringify(list),
    created_at: list.createdAt,
  };
}

const toList = (row: Pick<Selectable<OrderListsTable>, "body">): OrderList => JSON.parse(row.body) as OrderList;

const toOrder = (row: Pick<Selectable<OrdersTable>, "body">): Order => decode<Order>(row.body);

export class SqlOrderStore implements OrderStore {
  constructor(private readonly db: Kysely<OrderTables>) {}

  // The order path's per-order statements, compiled once (see preparedQuery).
  private readonly orderByClientId = preparedQuery(2, (accountId: string, clientOrderId: string) =>
    this.db.selectFrom("order_orders").select("body").where("account_id", "=", accountId).where("client_order_id", "=", clientOrderId),
  );
  private readonly updateOrderRow = preparedQuery(6, (body: string, status: number, open: number, submitted: number, symbol: string, orderId: number) =>
    this.db.updateTable("order_orders").set({ body, status, open, submitted }).where("symbol", "=", symbol).where("order_id", "=", orderId),
  );

  async nextOrderId(symbol: string): Promise<number> {
    const row = await this.db
      .insertInto("order_counters")
      .values({ symbol, next_id: 1 })
      .onConflict((conflict) => conflict.column("symbol").doUpdateSet({ next_id: sql`order_counters.next_id + 1` }))
      .returning("next_id")
      .executeTakeFirstOrThrow();
    return Number(row.next_id);
  }

  async insert(order: Order): Promise<{ order: Order; created: boolean }> {
    const inserted = await this.db
      .insertInto("order_orders")
      .values(orderRow(order))
      .onConflict((conflict) => conflict.columns(["account_id", "client_order_id"]).doNothing())
      .returning("order_id")
      .executeTakeFirst();
    if (inserted) return { order, created: true };
    return { order: (await this.getByClientId(order.accountId, order.clientOrderId))!, created: false };
  }

  async insertNew(symbol: string, count: number, build: (firstOrderId: number) => Order[]): Promise<{ order: Order; created: boolean }[]> {
    const { orders, inserted } = await this.db.transaction().execute(async (tx) => {
      const counter = await tx
        .insertInto("order_counters")
        .values({ symbol, next_id: count })
        .onConflict((conflict) => conflict.column("symbol").doUpdateSet({ next_id: sql`order_counters.next_id + ${count}` }))
        .returning("next_id")
        .executeTakeFirstOrThrow();
      const orders = build(Number(counter.next_id) - count + 1);
      const inserted = new Set<number>();
      // Several rows per statement (9 parameters a row stays far below either engine's limit).
      for (let from = 0; from < orders.length; from += INSERT_CHUNK) {
        const rows = await tx
          .insertInto("order_orders")
          .values(orders.slice(from, from + INSERT_CHUNK).map(orderRow))
          .onConflict((conflict) => conflict.columns(["account_id", "client_order_id"]).doNothing())
          .returning("order_id")
          .execute();
        for (const row of rows) inserted.add(Number(row.order_id));
      }
      return { orders, inserted };
    });
    return Promise.all(
      orders.map(async (order) => (inserted.has(order.orderId) ? { order, created: true } : { order: (await this.getByClientId(order.accountId, order.clientOrderId))!, created: false })),
    );
  }

  async insertList(
    symbol: string,
    count: number,
    build: (orderListId: number, firstOrderId: number) => { list: OrderList; orders: Order[] },
  ): Promise<{ list: OrderList; orders: Order[]; created: boolean }> {
    const outcome = await this.db.transaction().execute(async (tx) => {
      const bump = async (key: string, by: number) =>
        Number(
          (
            await tx
              .insertInto("order_counters")
              .values({ symbol: key, next_id: by })
              .onConflict((conflict) => conflict.column("symbol").doUpdateSet({ next_id: sql`order_counters.next_id + ${by}` }))
              .returning("next_id")
              .executeTakeFirstOrThrow()
          ).next_id,
        );
      const orderListId = await bump(LIST_COUNTER, 1);
      const first = (await bump(symbol, count)) - count + 1;
      const built = build(orderListId, first);
      const inserted = await tx
        .insertInto("order_lists")
        .values(listRow(built.list))
        .onConflict((conflict) => conflict.columns(["account_id", "list_client_order_id"]).doNothing())
        .returning("order_list_id")
        .executeTakeFirst();
      if (!inserted) return undefined;
      await tx.insertInto("order_orders").values(built.orders.map(orderRow)).execute();
      return built;
    });
    if (outcome) return { ...outcome, created: true };
    const { accountId, listClientOrderId } = build(0, 0).list;
    const list = (await this.getListByClientId(accountId, listClientOrderId))!;
    const orders = await Promise.all(list.orderIds.map((id) => this.get(list.symbol, id)));
    return { list, orders: orders.filter((order): order is Order => order !== undefined), created: false };
  }

  async getList(orderListId: number): Promise<OrderList | undefined> {
    const row = await this.db.selectFrom("order_lists").select("body").where("order_list_id", "=", orderListId).executeTakeFirst();
    return row && toList(row);
  }

  async getListByClientId(accountId: string, listClientOrderId: string): Promise<OrderList | undefined> {
    const row = await this.db.selectFrom("order_lists").select("body").where("account_id", "=", accountId).where("list_client_order_id", "=", listClientOrderId).executeTakeFirst();
    return row && toList(row);
  }

  async findLists(accountId: string, query: OrderListQuery): Promise<OrderList[]> {
    const ascending = query.fromId !== undefined || query.startTime !== undefined;
    const direction = ascending ? "asc" : "desc";
    let select = this.db.selectFrom("order_lists").select("body").where("account_id", "=", accountId);
    if (query.fromId !== undefined) select = select.where("order_list_id", ">=", query.fromId);
    if (query.startTime !== undefined) select = select.where("created_at", ">=", query.startTime);
    if (query.endTime !== undefined) select = select.where("created_at", "<=", query.endTime);
    const rows = await select.orderBy("order_list_id", direction).limit(query.limit).execute();
    const lists = rows.map(toList);
    return ascending ? lists : lists.reverse();
  }

  async openLists(accountId: string): Promise<OrderList[]> {
    const rows = await this.db
      .selectFrom("order_lists as l")
      .select("l.body")
      .where("l.account_id", "=", accountId)
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom("order_orders as o")
            .select("o.order_id")
            .whereRef("o.order_list_id", "=", "l.order_list_id")
            .whereRef("o.symbol", "=", "l.symbol")
            .where("o.open", "=", 1),
        ),
      )
      .orderBy("l.order_list_id")
      .execute();
    return rows.map(toList);
  }

  async get(symbol: string, orderId: number): Promise<Order | undefined> {
    const row = await this.db.selectFrom("order_orders").select("body").where("symbol", "=", symbol).where("order_id", "=", orderId).executeTakeFirst();
    return row && toOrder(row);
  }

  async getMany(symbol: string, orderIds: readonly number[]): Promise<Order[]> {
    const found: Order[] = [];
    for (let from = 0; from < orderIds.length; from += INSERT_CHUNK) {
      const rows = await this.db
        .selectFrom("order_orders")
        .select("body")
        .where("symbol", "=", symbol)
        .where("order_id", "in", orderIds.slice(from, from + INSERT_CHUNK))
        .execute();
      for (const row of rows) found.push(toOrder(row));
    }
    return found;
  }

  async getByClientId(accountId: string, clientOrderId: string): Promise<Order | undefined> {
    const [row] = (await this.orderByClientId(this.db, accountId, clientOrderId)).rows;
    return row && toOrder(row);
  }

  async update(order: Order): Promise<void> {
    const row = orderRow(order);
    await this.db
      .updateTable("order_orders")
      .set({ body: row.body, status: row.status, open: row.open, submitted: row.submitted })
      .where("symbol", "=", order.symbol)
      .where("order_id", "=", order.orderId)
      .execute();
  }

  async discardUndelivered(symbol: string, orderIds: readonly number[], orderListId?: number): Promise<void> {
    if (orderIds.length === 0 && orderListId === undefined) return;
    await this.db.transaction().execute(async (tx) => {
      if (orderIds.length > 0) await tx.deleteFrom("order_orders").where("symbol", "=", symbol).where("order_id", "in", [...orderIds]).where("submitted", "=", 0).execute();
      if (orderListId !== undefined) await tx.deleteFrom("order_lists").where("order_list_id", "=", orderListId).execute();
    });
  }

  async undelivered(symbol: string): Promise<Order[]> {
    const rows = await this.db.selectFrom("order_orders").select("body").where("symbol", "=", symbol).where("submitted", "=", 0).orderBy("order_id").execute();
    return rows.map(toOrder);
  }

  async listOpen(accountId: string, symbol?: string): Promise<Order[]> {
    let query = this.db.selectFrom("order_orders").select("body").where("account_id", "=", accountId).where("open", "=", 1);
    if (symbol) query = query.where("symbol", "=", symbol);
    return (await query.orderBy("symbol").orderBy("order_id").execute()).map(toOrder);
  }

  async openAccounts(symbol: string): Promise<string[]> {
    const rows = await this.db.selectFrom("order_orders").select("account_id").distinct().where("symbol", "=", symbol).where("open", "=", 1).orderBy("account_id").execute();
    return rows.map((row) => row.account_id);
  }

  async openOrderCounts(accountId: string, symbol: string): Promise<OpenOrderCounts> {
    const rows = await this.db
      .selectFrom("order_orders")
      .select(["kind", (eb) => eb.fn.countAll().as("n")])
      .where("account_id", "=", accountId)
      .where("symbol", "=", symbol)
      .where("open", "=", 1)
      .groupBy("kind")
      .execute();
    const counts: OpenOrderCounts = { orders: 0, algo: 0, iceberg: 0 };
    for (const row of rows) {
      const n = Number(row.n);
      counts.orders += n;
      if (Number(row.kind) === KIND_ALGO) counts.algo += n;
      else if (Number(row.kind) === KIND_ICEBERG) counts.iceberg += n;
    }
    return counts;
  }

  async openOrderCountsOf(symbol: string, accountIds: readonly string[]): Promise<Map<string, OpenOrderCounts>> {
    const counts = new Map<string, OpenOrderCounts>();
    for (let from = 0; from < accountIds.length; from += INSERT_CHUNK) {
      const rows = await this.db
        .selectFrom("order_orders")
        .select(["account_id", "kind", (eb) => eb.fn.countAll().as("n")])
        .where("account_id", "in", accountIds.slice(from, from + INSERT_CHUNK))
        .where("symbol", "=", symbol)
        .where("open", "=", 1)
        .groupBy(["account_id", "kind"])
        .execute();
      for (const row of rows) {
        const n = Number(row.n);
        const account = counts.get(row.account_id) ?? { orders: 0, algo: 0, iceberg: 0 };
        account.orders += n;
        if (Number(row.kind) === KIND_ALGO) account.algo += n;
        else if (Number(row.kind) === KIND_ICEBERG) account.iceberg += n;
        counts.set(row.account_id, account);
      }
    }
    return counts;
  }

  async list(accountId: string, symbol: string, pageSize: number, pageToken: string): Promise<OrderPage<Order>> {
    let query = this.db.selectFrom("order_orders").select(["body", "order_id"]).where("account_id", "=", accountId).where("symbol", "=", symbol);
    if (pageToken !== "") query = query.where("order_id", "<", Number(pageToken));
    const rows = await query.orderBy("order_id", "desc").limit(pageSize + 1).execute();
    const items = rows.slice(0, pageSize).map(toOrder);
    return { items, nextToken: rows.length > pageSize ? String(items[items.length - 1].orderId) : "" };
  }

  async listTrades(accountId: string, symbol: string, pageSize: number, pageToken: string): Promise<OrderPage<UserTrade>> {
    let query = this.db.selectFrom("order_trades").select(["body", "trade_id"]).where("account_id", "=", accountId).where("symbol", "=", symbol);
    if (pageToken !== "") query = query.where("trade_id", "<", Number(pageToken));
    const rows = await query.orderBy("trade_id", "desc").orderBy("is_maker").limit(pageSize + 1).execute();
    const items = rows.slice(0, pageSize).map((row) => decode<UserTrade>(row.body));
    return { items, nextToken: rows.length > pageSize ? String(items[items.length - 1].tradeId) : "" };
  }

  async findOrders(accountId: string, symbol: string, query: OrderQuery): Promise<Order[]> {
    const { ascending, byTime } = scanOf({ fromId: query.fromOrderId, startTime: query.startTime, endTime: query.endTime });
    const direction = ascending ? "asc" : "desc";
    let select = this.db.selectFrom("order_orders").select("body").where("account_id", "=", accountId).where("symbol", "=", symbol);
    if (query.fromOrderId !== undefined) select = select.where("order_id", ">=", query.fromOrderId);
    if (query.startTime !== undefined) select = select.where("created_at", ">=", query.startTime);
    if (query.endTime !== undefined) select = select.where("created_at", "<=", query.endTime);
    if (byTime) select = select.orderBy("created_at", direction);
    const rows = await select.orderBy("order_id", direction).limit(query.limit).execute();
    const orders = rows.map(toOrder);
    return ascending ? orders : orders.reverse();
  }

  async findTrades(accountId: string, symbol: string, query: TradeQuery): Promise<UserTrade[]> {
    const { ascending, byTime } = scanOf(query);
    const direction = ascending ? "asc" : "desc";
    let select = this.db.selectFrom("order_trades").select("body").where("account_id", "=", accountId).where("symbol", "=", symbol);
    if (query.orderId !== undefined) select = select.where("order_id", "=", query.orderId);
    if (query.fromId !== undefined) select = select.where("trade_id", ">=", query.fromId);
    if (query.startTime !== undefined) select = select.where("time", ">=", query.startTime);
    if (query.endTime !== undefined) select = select.where("time", "<=", query.endTime);
    if (byTime) select = select.orderBy("time", direction);
    const rows = await select.orderBy("trade_id", direction).orderBy("is_maker", direction).limit(query.limit).execute();
    const trades = rows.map((row) => decode<UserTrade>(row.body));
    return ascending ? trades : trades.reverse();
  }

  async lastSequence(symbol: string): Promise<number> {
    const row = await this.db.selectFrom("order_consumers").select("last_sequence").where("symbol", "=", symbol).executeTakeFirst();
    return row ? Number(row.last_sequence) : 0;
  }

  async recentTrades(symbol: string, since: number): Promise<TradePrint[]> {
    // The primary key (symbol, trade_id, is_maker) read backwards a page at a time, down to the
    // first trade before `since`: a few minutes of trades, whatever the table holds.
    const out: TradePrint[] = [];
    let below: number | undefined;
    for (;;) {
      const rows = await this.db
        .selectFrom("order_trades")
        .select(["trade_id", "time", "body"])
        .where("symbol", "=", symbol)
        .$if(below !== undefined, (q) => q.where("trade_id", "<", below!))
        .orderBy("trade_id", "desc")
        .orderBy("is_maker", "desc")
        .limit(RECENT_PAGE)
        .execute();
      for (const row of rows) {
        const tradeId = Number(row.trade_id);
        // A trade's two sides (buyer and seller) are two rows: take it once.
        if (out.length > 0 && out[out.length - 1]!.tradeId === tradeId) continue;
        if (out.length > 0 && Number(row.time) < since) return out.reverse();
        const trade = decode<UserTrade>(row.body);
        out.push({ tradeId, time: Number(row.time), priceTicks: trade.priceTicks, quantityLots: trade.quantityLots });
      }
      if (rows.length < RECENT_PAGE) return out.reverse();
      below = out[out.length - 1]!.tradeId;
    }
  }

  async applyBatch(
    symbol: string,
    sequence: number,
    orders: readonly Order[],
    trades: readonly UserTrade[],
    firstSequence = sequence,
    notices: readonly NotificationEvent[] = [],
    discarded: readonly DiscardedOrders[] = [],
  ): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      // Claim the batch first: moving the symbol's sequence forward locks its row, so of several
      // replicas applying the same batch one goes on and the others, once it commits, find the
      // sequence taken (PostgreSQL re-reads the row after the wait) and write nothing; a replica
      // that lags behind cannot write an older batch over a newer one. A bare read of the
      // sequence took no lock, and two replicas could both apply.
      const moved = await tx.updateTable("order_consumers").set({ last_sequence: sequence }).where("symbol", "=", symbol).where("last_sequence", "<", firstSequence).executeTakeFirst();
      if (Number(moved.numUpdatedRows) === 0) {
        const created = await tx
          .insertInto("order_consumers")
          .values({ symbol, last_sequence: sequence })
          .onConflict((conflict) => conflict.column("symbol").doNothing())
          .executeTakeFirst();
        if (Number(created.numInsertedOrUpdatedRows ?? 0n) === 0) return false;
      }
      for (const order of orders) {
        const r = orderRow(order);
        await this.updateOrderRow(tx, r.body, r.status, r.open, r.submitted, symbol, order.orderId);
      }
      for (let from = 0; from < trades.length; from += INSERT_CHUNK) {
        await tx
          .insertInto("order_trades")
          .values(
            trades.slice(from, from + INSERT_CHUNK).map((trade) => ({
              symbol,
              trade_id: trade.tradeId,
              is_maker: trade.isMaker ? 1 : 0,
              account_id: trade.accountId,
              order_id: trade.orderId,
              body: encodeOrder(trade as never),
              time: trade.time,
            })),
          )
          .onConflict((conflict) => conflict.columns(["symbol", "trade_id", "is_maker"]).doNothing())
          .execute();
      }
      for (const { orderIds, orderListId } of discarded) {
        if (orderIds.length > 0) await tx.deleteFrom("order_orders").where("symbol", "=", symbol).where("order_id", "in", [...orderIds]).execute();
        if (orderListId !== undefined) await tx.deleteFrom("order_lists").where("order_list_id", "=", orderListId).execute();
      }
      await SqlOutbox.insert(tx as never, ORDER_OUTBOX, notices, Date.now());
      return true;
    });
  }
}
