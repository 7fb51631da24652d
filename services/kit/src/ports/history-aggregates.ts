/**
 * Aggregations over a SearchIndex query, exact: OHLCV buckets of any interval, a summary (VWAP's sums) and volume
 * by price level. They fold the query's documents in (time, id) order as bigint, on every adapter alike: OpenSearch's
 * sum/avg aggregations work in doubles (inexact past 2^53, and a price x quantity product needs a script, which
 * a cluster without the painless module, like the loopback 2.19, cannot run). The cost is one scan of the matching
 * documents, in pages of 1000.
 */
import type { HistoryDoc, HistoryQuery, SearchIndex } from "./search-index.port.js";

export interface PriceAt {
  readonly price: string;
  readonly priceUnits: bigint;
}

export interface HistoryBucket {
  /** the bucket's start: a multiple of the interval since the epoch (the first document's time for a summary) */
  readonly start: number;
  readonly count: number;
  /** the first and last document by (time, id), the highest and lowest price */
  readonly open: PriceAt;
  readonly high: PriceAt;
  readonly low: PriceAt;
  readonly close: PriceAt;
  readonly firstTime: number;
  readonly lastTime: number;
  readonly firstId: string;
  readonly lastId: string;
  /** sum of qtyUnits */
  readonly qtyUnits: bigint;
  /** sum of priceUnits x qtyUnits (price scale + quantity scale) */
  readonly notionalUnits: bigint;
}

export interface PriceLevelVolume {
  /** the level's lowest price: priceUnits rounded down to a multiple of the step */
  readonly priceUnits: bigint;
  readonly count: number;
  readonly qtyUnits: bigint;
  readonly notionalUnits: bigint;
}

const PAGE = 1000;

/** Every document of the query, oldest first, page by page. */
export async function* scanHistory(index: SearchIndex, query: HistoryQuery): AsyncGenerator<HistoryDoc> {
  let cursor: string | undefined;
  do {
    const page = await index.search(query, { limit: PAGE, cursor });
    yield* page.items;
    cursor = page.cursor;
  } while (cursor);
}

function at(doc: HistoryDoc): PriceAt {
  return { price: doc.price, priceUnits: doc.priceUnits };
}

function bucketOf(start: number, doc: HistoryDoc): HistoryBucket {
  const p = at(doc);
  return { start, count: 1, open: p, high: p, low: p, close: p, firstTime: doc.time, lastTime: doc.time, firstId: doc.id, lastId: doc.id, qtyUnits: doc.qtyUnits, notionalUnits: doc.priceUnits * doc.qtyUnits };
}

/** `doc` added to `bucket`; documents come in (time, id) order, so the newest is the close. */
function grow(bucket: HistoryBucket, doc: HistoryDoc): HistoryBucket {
  return {
    ...bucket,
    count: bucket.count + 1,
    high: doc.priceUnits > bucket.high.priceUnits ? at(doc) : bucket.high,
    low: doc.priceUnits < bucket.low.priceUnits ? at(doc) : bucket.low,
    close: at(doc),
    lastTime: doc.time,
    lastId: doc.id,
    qtyUnits: bucket.qtyUnits + doc.qtyUnits,
    notionalUnits: bucket.notionalUnits + doc.priceUnits * doc.qtyUnits,
  };
}

/**
 * OHLCV buckets of `intervalMs`, aligned to the epoch, only those with documents, oldest first. Refuses (RangeError)
 * a query that would give more than `maxBuckets`.
 */
export async function historyOhlcv(index: SearchIndex, query: HistoryQuery, intervalMs: number, maxBuckets = 1000): Promise<HistoryBucket[]> {
  if (!Number.isSafeInteger(intervalMs) || intervalMs < 1) throw new RangeError("intervalMs must be a positive integer");
  const buckets: HistoryBucket[] = [];
  for await (const doc of scanHistory(index, query)) {
    const start = Math.floor(doc.time / intervalMs) * intervalMs;
    const last = buckets[buckets.length - 1];
    if (last && last.start === start) buckets[buckets.length - 1] = grow(last, doc);
    else {
      if (buckets.length === maxBuckets) throw new RangeError(`more than ${maxBuckets} buckets: narrow the time range or widen the interval`);
      buckets.push(bucketOf(start, doc));
    }
  }
  return buckets;
}

/** One bucket over the whole query (VWAP = notionalUnits / qtyUnits); undefined when nothing matches. */
export async function historySummary(index: SearchIndex, query: HistoryQuery): Promise<HistoryBucket | undefined> {
  let bucket: HistoryBucket | undefined;
  for await (const doc of scanHistory(index, query)) bucket = bucket ? grow(bucket, doc) : bucketOf(doc.time, doc);
  return bucket;
}

/** Volume by price level: levels `stepUnits` wide, lowest price first; RangeError past `maxLevels`. */
export async function historyPriceLevels(index: SearchIndex, query: HistoryQuery, stepUnits: bigint, maxLevels = 1000): Promise<PriceLevelVolume[]> {
  if (stepUnits <= 0n) throw new RangeError("stepUnits must be positive");
  const levels = new Map<bigint, PriceLevelVolume>();
  for await (const doc of scanHistory(index, query)) {
    const floor = doc.priceUnits - (((doc.priceUnits % stepUnits) + stepUnits) % stepUnits);
    const level = levels.get(floor);
    if (!level && levels.size === maxLevels) throw new RangeError(`more than ${maxLevels} price levels: widen the step or narrow the query`);
    levels.set(floor, {
      priceUnits: floor,
      count: (level?.count ?? 0) + 1,
      qtyUnits: (level?.qtyUnits ?? 0n) + doc.qtyUnits,
      notionalUnits: (level?.notionalUnits ?? 0n) + doc.priceUnits * doc.qtyUnits,
    });
  }
  return [...levels.values()].sort((a, b) => (a.priceUnits < b.priceUnits ? -1 : a.priceUnits > b.priceUnits ? 1 : 0));
}
