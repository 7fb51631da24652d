// Bulk indexing throughput of market history: N public trades (as marketdata's indexing loop makes them) written
// in bulk requests of BATCH documents to the search index, then counted, then folded into 1-minute OHLCV. OpenSearch at EXCHANGE_OPENSEARCH_URL
// (tests/infra's 59200 by default) and the embedded SQLite index in a temporary file.
//   npx tsx tests/bench/history-index.bench.ts [trades=50000] [batch=2000]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OpenSearchIndex } from "#kit/adapters/search-index.opensearch.js";
import { SqliteSearchIndex } from "#kit/adapters/search-index.sqlite.js";
import { historyOhlcv } from "#kit/ports/history-aggregates.js";
import type { SearchIndex } from "#kit/ports/search-index.port.js";
import { tradeDoc } from "../../services/marketdata/src/domain/index-trades.use-case.js";
import { MarketSymbol } from "../../services/marketdata/src/domain/market-symbol.js";

const trades = Number(process.argv[2] ?? 50_000);
const batch = Number(process.argv[3] ?? 2_000);
const market = new MarketSymbol({ symbol: "BTCUSDT", baseScale: 8, quoteScale: 8, tickSize: "0.01", stepSize: "0.00001" });
let seed = 42;
const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
const T0 = Date.parse("2024-03-11T00:00:00Z");
const docs = Array.from({ length: trades }, (_, i) => {
  const price = (3_000_000n + BigInt(Math.floor(random() * 10_000))) * market.tickUnits;
  const qty = BigInt(1 + Math.floor(random() * 1_000)) * market.lotUnits;
  return tradeDoc(market, { tradeId: i + 1, price, qty, quoteQty: market.quoteOf(price, qty), time: T0 + i * 10, isBuyerMaker: random() < 0.5 });
});

async function run(name: string, index: SearchIndex): Promise<void> {
  await index.ensure();
  const started = performance.now();
  for (let i = 0; i < docs.length; i += batch) await index.index(docs.slice(i, i + batch));
  const indexed = performance.now() - started;
  await index.refresh();
  const count = await index.count({ symbol: "BTCUSDT" });
  if (count !== trades) throw new Error(`${name}: ${count} documents, expected ${trades}`);
  console.log(`${name}: ${trades} trades in bulks of ${batch}: ${(indexed / 1000).toFixed(2)} s, ${Math.round(trades / (indexed / 1000))} trades/s`);
  const scan = performance.now();
  const candles = await historyOhlcv(index, { symbol: "BTCUSDT", kind: "trade" }, 60_000);
  console.log(`${name}: 1-minute OHLCV over all of them (${candles.length} candles): ${Math.round(performance.now() - scan)} ms`);
}

const dir = mkdtempSync(join(tmpdir(), "history-bench-"));
const sqlite = new SqliteSearchIndex({ file: join(dir, "market-history.sqlite") });
const name = `history-bench-${process.pid}`;
const node = process.env.EXCHANGE_OPENSEARCH_URL ?? "http://127.0.0.1:59200";
const opensearch = new OpenSearchIndex({ node, index: name });
try {
  await run("sqlite", sqlite);
  await run("opensearch", opensearch);
} finally {
  await sqlite.close();
  await fetch(`${node}/${name}`, { method: "DELETE" }).catch(() => undefined);
  await fetch(`${node}/_index_template/${name}-template`, { method: "DELETE" }).catch(() => undefined);
  await opensearch.close();
  rmSync(dir, { recursive: true, force: true });
}
