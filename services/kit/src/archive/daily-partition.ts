/**
 * Daily partitions of an archived table in the object store, in the Hive layout Athena and DuckDB read:
 *   <table>/date=YYYY-MM-DD[/<key>=<value>...]/part-00000.parquet
 * plus a manifest.json beside each part (rows, SHA-256, when) whose presence says the partition is complete. A
 * partition is rewritten whole (same key), so archiving a day again replaces it rather than adding to it.
 */
import { createHash } from "node:crypto";
import type { ObjectStore } from "../ports/object-store.port.js";
import { decodeParquet, encodeParquet, type ColumnSpec, type Row } from "./parquet.js";

const DAY_MS = 86_400_000;

/** The UTC day of a time, YYYY-MM-DD. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** [from, to) of a UTC day in ms; throws on a malformed date. */
export function dayBounds(date: string): { from: number; to: number } {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error(`not a date (YYYY-MM-DD): ${date}`);
  const from = Date.parse(`${date}T00:00:00.000Z`);
  if (!Number.isFinite(from) || utcDay(from) !== date) throw new Error(`not a date: ${date}`);
  return { from, to: from + DAY_MS };
}

export function partitionPrefix(table: string, date: string, partitions: readonly (readonly [string, string])[] = []): string {
  return [table, `date=${date}`, ...partitions.map(([name, value]) => `${name}=${encodeURIComponent(value)}`)].join("/");
}

export interface PartitionManifest {
  readonly table: string;
  readonly date: string;
  readonly rows: number;
  readonly sha256: string;
  readonly writtenAt: number;
}

export async function writePartition(
  store: ObjectStore,
  prefix: string,
  columns: readonly ColumnSpec[],
  rows: readonly Row[],
  manifest: Omit<PartitionManifest, "rows" | "sha256">,
): Promise<PartitionManifest> {
  const bytes = encodeParquet(columns, rows, { "exchange.table": manifest.table, "exchange.date": manifest.date });
  const full: PartitionManifest = { ...manifest, rows: rows.length, sha256: createHash("sha256").update(bytes).digest("hex") };
  await store.put(`${prefix}/part-00000.parquet`, bytes, { contentType: "application/vnd.apache.parquet", metadata: { rows: String(rows.length) } });
  await store.put(`${prefix}/manifest.json`, JSON.stringify(full), { contentType: "application/json" });
  return full;
}

export async function readManifest(store: ObjectStore, prefix: string): Promise<PartitionManifest | undefined> {
  const object = await store.get(`${prefix}/manifest.json`);
  return object ? (JSON.parse(Buffer.from(object.body).toString("utf8")) as PartitionManifest) : undefined;
}

/** The partition's rows, or undefined when it was never written; throws when the part does not match its manifest. */
export async function readPartition(store: ObjectStore, prefix: string, columns: readonly ColumnSpec[]): Promise<Row[] | undefined> {
  const manifest = await readManifest(store, prefix);
  if (!manifest) return undefined;
  const part = await store.get(`${prefix}/part-00000.parquet`);
  if (!part) throw new Error(`${prefix}: manifest without its part`);
  const sha = createHash("sha256").update(part.body).digest("hex");
  if (sha !== manifest.sha256) throw new Error(`${prefix}: part does not match its manifest (sha256)`);
  return decodeParquet(columns, part.body);
}

export interface Comparison {
  readonly equal: boolean;
  readonly archivedRows: number;
  readonly databaseRows: number;
  /** The first row that differs (index in order), with both sides' values. */
  readonly firstDifference?: { readonly index: number; readonly archived?: Row; readonly database?: Row };
}

/** Row by row, in order, every column compared as text (bigint and number alike). */
export function compareRows(columns: readonly ColumnSpec[], archived: readonly Row[], database: readonly Row[]): Comparison {
  const text = (row: Row | undefined) => (row ? columns.map((c) => String(row[c.name])).join("\u0000") : undefined);
  const n = Math.max(archived.length, database.length);
  for (let index = 0; index < n; index++) {
    if (text(archived[index]) !== text(database[index])) {
      return { equal: false, archivedRows: archived.length, databaseRows: database.length, firstDifference: { index, archived: archived[index], database: database[index] } };
    }
  }
  return { equal: true, archivedRows: archived.length, databaseRows: database.length };
}
