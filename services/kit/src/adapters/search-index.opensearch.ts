/**
 * SearchIndex on OpenSearch. `ensure()` puts an index template with explicit mappings (idempotent: PUT replaces it)
 * and creates the index if missing. Decimal strings are `keyword` (exact, never parsed); scaled units are `long`,
 * sent and stored as strings so no value passes through a double (OpenSearch parses numeric strings into longs
 * exactly, and _source keeps the string). No money aggregations: only counts. Pagination is search_after on
 * (time, id). `refresh: "wait_for"` makes indexed documents searchable before index() returns (tests);
 * production uses false and the index's refresh interval.
 */
import { Client } from "@opensearch-project/opensearch";
import {
  assertHistoryDoc,
  decodeCursor,
  encodeCursor,
  pageLimit,
  type HistoryDoc,
  type HistoryKind,
  type HistoryPage,
  type HistoryQuery,
  type SearchIndex,
  type SearchOptions,
} from "../ports/search-index.port.js";

export interface OpenSearchIndexOptions {
  readonly node: string;
  /** index name (default `exchange-market-history`); the template matches `<index>*` */
  readonly index?: string;
  readonly refresh?: boolean | "wait_for";
  readonly shards?: number;
  readonly replicas?: number;
}

interface Source {
  id: string;
  kind: string;
  symbol: string;
  accounts: string[];
  time: number;
  price: string;
  priceUnits: string;
  qty: string;
  qtyUnits: string;
  attrs: Record<string, string>;
}

export class OpenSearchIndex implements SearchIndex {
  private readonly client: Client;
  readonly indexName: string;

  constructor(private readonly options: OpenSearchIndexOptions) {
    this.client = new Client({ node: options.node });
    this.indexName = options.index ?? "exchange-market-history";
  }

  async ensure(): Promise<void> {
    await this.client.indices.putIndexTemplate({
      name: `${this.indexName}-template`,
      body: {
        index_patterns: [`${this.indexName}*`],
        template: {
          settings: { number_of_shards: this.options.shards ?? 1, number_of_replicas: this.options.replicas ?? 0 },
          mappings: {
            dynamic: "strict",
            properties: {
              id: { type: "keyword" },
              kind: { type: "keyword" },
              symbol: { type: "keyword" },
              accounts: { type: "keyword" },
              time: { type: "date", format: "epoch_millis" },
              price: { type: "keyword" },
              priceUnits: { type: "long" },
              qty: { type: "keyword" },
              qtyUnits: { type: "long" },
              attrs: { type: "flat_object" },
            },
          },
        },
      },
    });
    const exists = await this.client.indices.exists({ index: this.indexName });
    if (!exists.body) {
      try {
        await this.client.indices.create({ index: this.indexName });
      } catch (error) {
        if (!String((error as Error).message).includes("resource_already_exists_exception")) throw error;
      }
    }
  }

  async index(docs: readonly HistoryDoc[]): Promise<void> {
    if (docs.length === 0) return;
    docs.forEach(assertHistoryDoc);
    const body = docs.flatMap((d) => [{ index: { _index: this.indexName, _id: d.id } }, toSource(d)]);
    const out = await this.client.bulk({ body, refresh: this.options.refresh ?? false });
    if (out.body.errors) {
      const failed = out.body.items.find((i) => i.index?.error);
      throw new Error(`bulk index failed: ${JSON.stringify(failed?.index?.error)}`);
    }
  }

  private query(q: HistoryQuery): Record<string, unknown> {
    const filter: Record<string, unknown>[] = [{ term: { symbol: q.symbol } }];
    if (q.kind) filter.push({ term: { kind: q.kind } });
    if (q.account !== undefined) filter.push({ term: { accounts: q.account } });
    if (q.fromTime !== undefined || q.toTime !== undefined) {
      const range: Record<string, number> = {};
      if (q.fromTime !== undefined) range.gte = q.fromTime;
      if (q.toTime !== undefined) range.lt = q.toTime;
      filter.push({ range: { time: range } });
    }
    // Units go as strings: OpenSearch parses them into longs exactly.
    for (const [field, min, max] of [["priceUnits", q.minPriceUnits, q.maxPriceUnits], ["qtyUnits", q.minQtyUnits, q.maxQtyUnits]] as const) {
      if (min === undefined && max === undefined) continue;
      const range: Record<string, string> = {};
      if (min !== undefined) range.gte = min.toString();
      if (max !== undefined) range.lte = max.toString();
      filter.push({ range: { [field]: range } });
    }
    return { bool: { filter } };
  }

  async search(query: HistoryQuery, options?: SearchOptions): Promise<HistoryPage> {
    const limit = pageLimit(options);
    const order = options?.order === "desc" ? "desc" : "asc";
    const body: Record<string, unknown> = {
      size: limit,
      query: this.query(query),
      sort: [{ time: order }, { id: order }],
      track_total_hits: false,
    };
    if (options?.cursor) {
      const c = decodeCursor(options.cursor);
      body.search_after = [c.time, c.id];
    }
    const out = await this.client.search({ index: this.indexName, body });
    const hits = out.body.hits.hits as unknown as { _source: Source }[];
    const items = hits.map((h) => fromSource(h._source));
    const last = items[items.length - 1];
    return items.length === limit ? { items, cursor: encodeCursor({ time: last.time, id: last.id }) } : { items };
  }

  async count(query: HistoryQuery): Promise<number> {
    const out = await this.client.count({ index: this.indexName, body: { query: this.query(query) } });
    return Number(out.body.count);
  }

  async refresh(): Promise<void> {
    await this.client.indices.refresh({ index: this.indexName });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

function toSource(d: HistoryDoc): Source {
  return {
    id: d.id,
    kind: d.kind,
    symbol: d.symbol,
    accounts: [...d.accounts],
    time: d.time,
    price: d.price,
    priceUnits: d.priceUnits.toString(),
    qty: d.qty,
    qtyUnits: d.qtyUnits.toString(),
    attrs: { ...d.attrs },
  };
}

function fromSource(s: Source): HistoryDoc {
  return {
    id: s.id,
    kind: s.kind as HistoryKind,
    symbol: s.symbol,
    accounts: s.accounts,
    time: Number(s.time),
    price: s.price,
    priceUnits: BigInt(s.priceUnits),
    qty: s.qty,
    qtyUnits: BigInt(s.qtyUnits),
    attrs: s.attrs ?? {},
  };
}
