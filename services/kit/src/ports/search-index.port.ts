/**
 * SearchIndex: market history (trades, orders) searchable by symbol, time range and account, with cursor pagination
 * and counts. Money fields are kept twice: the decimal string as given (exact, for display) and a scaled integer
 * (`units` = value x 10^scale of the symbol, a signed 64-bit integer) for range queries and sorting. Nothing is
 * aggregated as a double: the port offers counts only; sums are done on `units` as bigint by the caller.
 */

export type HistoryKind = "trade" | "order";

export interface HistoryDoc {
  /** unique: a trade id (`BTCUSDT:1234`) or an order id; indexing the same id again replaces the document */
  readonly id: string;
  readonly kind: HistoryKind;
  readonly symbol: string;
  /** accounts the document belongs to: buyer and seller for a trade, the owner for an order */
  readonly accounts: readonly string[];
  /** milliseconds since the epoch */
  readonly time: number;
  readonly price: string;
  readonly priceUnits: bigint;
  readonly qty: string;
  readonly qtyUnits: bigint;
  /** other string fields (side, status, orderId, ...), exact-match searchable */
  readonly attrs?: Readonly<Record<string, string>>;
}

export interface HistoryQuery {
  readonly symbol: string;
  readonly account?: string;
  readonly kind?: HistoryKind;
  /** inclusive, ms */
  readonly fromTime?: number;
  /** exclusive, ms */
  readonly toTime?: number;
  /** inclusive bands on the scaled price and quantity */
  readonly minPriceUnits?: bigint;
  readonly maxPriceUnits?: bigint;
  readonly minQtyUnits?: bigint;
  readonly maxQtyUnits?: bigint;
}

export interface SearchOptions {
  /** 1..1000, default 100 */
  readonly limit?: number;
  /** from the previous page */
  readonly cursor?: string;
  /** by (time, id); default "asc" */
  readonly order?: "asc" | "desc";
}

export interface HistoryPage {
  readonly items: readonly HistoryDoc[];
  /** present when the page was full: pass it to get the next one */
  readonly cursor?: string;
}

export interface SearchIndex {
  /** Creates tables / index templates and indices; idempotent. */
  ensure(): Promise<void>;
  /** Upserts by id. */
  index(docs: readonly HistoryDoc[]): Promise<void>;
  search(query: HistoryQuery, options?: SearchOptions): Promise<HistoryPage>;
  count(query: HistoryQuery): Promise<number>;
  /** Makes everything indexed so far visible to search (a no-op where it already is). */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

export function assertHistoryDoc(doc: HistoryDoc): void {
  for (const [name, units] of [["priceUnits", doc.priceUnits], ["qtyUnits", doc.qtyUnits]] as const) {
    if (typeof units !== "bigint" || units < INT64_MIN || units > INT64_MAX) {
      throw new RangeError(`${doc.id}: ${name} must be a bigint in the signed 64-bit range`);
    }
  }
  if (!Number.isSafeInteger(doc.time)) throw new RangeError(`${doc.id}: time must be an integer (ms)`);
  if (!doc.id || !doc.symbol) throw new Error("id and symbol are required");
}

export interface Cursor {
  readonly time: number;
  readonly id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.time, cursor.id]), "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): Cursor {
  const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!Array.isArray(parsed) || typeof parsed[0] !== "number" || typeof parsed[1] !== "string") {
    throw new Error("invalid cursor");
  }
  return { time: parsed[0], id: parsed[1] };
}

export function pageLimit(options?: SearchOptions): number {
  const limit = options?.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new RangeError("limit must be 1..1000");
  return limit;
}
