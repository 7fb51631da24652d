/**
 * Parquet files for the archives, written with hyparquet-writer and read back with hyparquet (both pure JavaScript).
 * A table is named columns of one type each: STRING (decimal amounts stay exact as text), INT64 (ids, bigint) and
 * TIMESTAMP (UTC milliseconds), none nullable, Snappy pages, column statistics on. DuckDB and Athena read them
 * (`read_parquet('.../trades/date=*\/symbol=*\/*.parquet', hive_partitioning = true)`).
 */
import { parquetReadObjects } from "hyparquet";
import { parquetWriteBuffer } from "hyparquet-writer";

export type ColumnType = "STRING" | "INT64" | "TIMESTAMP";

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
}

export type CellOf<T extends ColumnType> = T extends "STRING" ? string : T extends "INT64" ? bigint : number;
export type Row = Readonly<Record<string, string | bigint | number>>;

export function encodeParquet(columns: readonly ColumnSpec[], rows: readonly Row[], metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const columnData = columns.map((column) => {
    const values = rows.map((row) => {
      const value = row[column.name];
      if (value === undefined) throw new Error(`parquet: row without column ${column.name}`);
      return column.type === "TIMESTAMP" ? new Date(Number(value)) : column.type === "INT64" ? BigInt(value) : String(value);
    });
    return { name: column.name, data: values, type: column.type, nullable: false };
  });
  const buffer = parquetWriteBuffer({
    columnData,
    kvMetadata: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    createdBy: "exchange archive",
  });
  return new Uint8Array(buffer);
}

/** The rows of a Parquet file written by encodeParquet: STRING as string, INT64 as bigint, TIMESTAMP as epoch ms. */
export async function decodeParquet(columns: readonly ColumnSpec[], bytes: Uint8Array): Promise<Row[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const objects = (await parquetReadObjects({ file, columns: columns.map((c) => c.name) })) as Record<string, unknown>[];
  return objects.map((object) => {
    const row: Record<string, string | bigint | number> = {};
    for (const column of columns) {
      const value = object[column.name];
      if (column.type === "TIMESTAMP") row[column.name] = value instanceof Date ? value.getTime() : Number(value);
      else if (column.type === "INT64") row[column.name] = BigInt(value as bigint | number);
      else row[column.name] = String(value);
    }
    return row;
  });
}
