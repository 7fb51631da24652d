/** Trades for the archives from order_trades (SQLite or PostgreSQL), a symbol's rows by primary key, filtered by time. */
import type { Kysely } from "kysely";
import type { UserTrade } from "../domain/order.js";
import type { TradeArchiveSource } from "../ports/trade-archive-source.port.js";
import type { OrderTables } from "./order-store.sql.js";

const PAGE = 2_000;

function decode(body: string): UserTrade {
  return JSON.parse(body, (_, value) => (typeof value === "string" && /^-?\d+n$/.test(value) ? BigInt(value.slice(0, -1)) : value)) as UserTrade;
}

export class SqlTradeArchiveSource implements TradeArchiveSource {
  constructor(private readonly db: Kysely<OrderTables>) {}

  async tradesBetween(symbol: string, from: number, to: number): Promise<UserTrade[]> {
    const out: UserTrade[] = [];
    let after: { tradeId: number; isMaker: number } | undefined;
    for (;;) {
      const rows = await this.db
        .selectFrom("order_trades")
        .select(["trade_id", "is_maker", "body"])
        .where("symbol", "=", symbol)
        .where("time", ">=", from)
        .where("time", "<", to)
        .$if(after !== undefined, (q) =>
          q.where((eb) => eb.or([eb("trade_id", ">", after!.tradeId), eb.and([eb("trade_id", "=", after!.tradeId), eb("is_maker", ">", after!.isMaker)])])),
        )
        .orderBy("trade_id")
        .orderBy("is_maker")
        .limit(PAGE)
        .execute();
      for (const row of rows) out.push(decode(row.body));
      if (rows.length < PAGE) return out;
      const last = rows[rows.length - 1]!;
      after = { tradeId: Number(last.trade_id), isMaker: Number(last.is_maker) };
    }
  }
}
