/**
 * Stored records -> one Parquet file (hyparquet-writer, MIT, pure JavaScript: runs in workerd and Node).
 * Columns come from schemas/lake/stream-schema.json (derived from zod): timestamps are
 * TIMESTAMP(ms, UTC), integers INT32/INT64, numbers DOUBLE, page/geo/ua structs, props JSON plus
 * the promoted e-commerce columns, bot_reasons a list. One row group per 122,880 rows (DuckDB's
 * own row group size, so its parallel scan and min/max pruning line up); min/max statistics on.
 * Compression: GZIP by default (fflate, MIT, synchronous pure JS: the writer needs a synchronous
 * compressor, and no zstd compressor runs in workerd without a WebAssembly build), SNAPPY on
 * request; timestamps DELTA_BINARY_PACKED (rows are sorted by ts). bench/lake.ts measures both codecs.
 * Every column is OPTIONAL, so records written by older collector versions (a field missing) still fit.
 */
import { gzipSync } from "fflate";
import { ByteWriter, ParquetWriter, type SchemaElement } from "hyparquet-writer";
import streamSchema from "../../schemas/lake/stream-schema.json";
import { COMMERCE_FIELDS, type LakeField, type LakeSchema } from "../../schemas/lake-types";
import type { StoredRecord } from "../../schemas";

export const LAKE_SCHEMA = streamSchema as LakeSchema;
export const ROW_GROUP_ROWS = 122_880;
export const PARQUET_CONTENT_TYPE = "application/vnd.apache.parquet";

/** The Parquet schema (flattened, depth-first, as the format stores it) of the lake's fields. */
export function parquetSchema(fields: readonly LakeField[] = LAKE_SCHEMA.fields): SchemaElement[] {
  const out: SchemaElement[] = [{ name: "root", num_children: fields.length }];
  const add = (f: LakeField, repetition: "OPTIONAL" | "REQUIRED" = "OPTIONAL") => {
    const base = { name: f.name, repetition_type: repetition } as const;
    switch (f.type) {
      case "string":
        return void out.push({ ...base, type: "BYTE_ARRAY", converted_type: "UTF8" });
      case "json":
        return void out.push({ ...base, type: "BYTE_ARRAY", converted_type: "JSON" });
      case "timestamp":
        return void out.push({ ...base, type: "INT64", converted_type: "TIMESTAMP_MILLIS", logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MILLIS" } });
      case "int32":
        return void out.push({ ...base, type: "INT32" });
      case "int64":
        return void out.push({ ...base, type: "INT64" });
      case "float64":
        return void out.push({ ...base, type: "DOUBLE" });
      case "bool":
        return void out.push({ ...base, type: "BOOLEAN" });
      case "struct":
        out.push({ ...base, num_children: f.fields!.length });
        for (const c of f.fields!) add(c);
        return;
      case "list":
        // The standard three-level list: <name> (LIST) / list (repeated) / element.
        out.push({ ...base, converted_type: "LIST", num_children: 1 });
        out.push({ name: "list", repetition_type: "REPEATED", num_children: 1 });
        return add({ ...f.items!, name: "element" });
    }
  };
  for (const f of fields) add(f);
  return out;
}

/** One value of a record, converted to what the writer takes for the field's type; null when absent or of another type. */
export function cell(f: LakeField, v: unknown): unknown {
  if (v === undefined || v === null) return null;
  switch (f.type) {
    case "string":
      return typeof v === "string" ? v : null;
    case "json":
      return v;
    case "timestamp": {
      const ms = typeof v === "string" ? Date.parse(v) : NaN;
      return Number.isFinite(ms) ? new Date(ms) : null;
    }
    case "int32":
      return Number.isInteger(v) ? v : null;
    case "int64":
      return Number.isSafeInteger(v) ? BigInt(v as number) : null;
    case "float64":
      return typeof v === "number" && Number.isFinite(v) ? v : null;
    case "bool":
      return typeof v === "boolean" ? v : null;
    case "struct": {
      if (typeof v !== "object" || Array.isArray(v)) return null;
      const o: Record<string, unknown> = {};
      for (const c of f.fields!) o[c.name] = cell(c, (v as Record<string, unknown>)[c.name]);
      return o;
    }
    case "list":
      return Array.isArray(v) ? v.map((x) => cell(f.items!, x)) : null;
  }
}

/** A column's raw value in a record: the record's field, or for the promoted e-commerce columns, props. */
export function valueOf(f: LakeField, r: StoredRecord): unknown {
  return PROMOTED.has(f.name) ? (r.props as Record<string, unknown> | undefined)?.[f.name] : (r as unknown as Record<string, unknown>)[f.name];
}
const PROMOTED = new Set<string>(COMMERCE_FIELDS);

const TIMESTAMPS = new Set(LAKE_SCHEMA.fields.filter((f) => f.type === "timestamp").map((f) => f.name));

/** Records -> one array per top-level column, in schema order. */
export function columnsOf(records: readonly StoredRecord[], fields: readonly LakeField[] = LAKE_SCHEMA.fields): { name: string; data: unknown[] }[] {
  return fields.map((f) => {
    const data = new Array<unknown>(records.length);
    for (let i = 0; i < records.length; i++) data[i] = cell(f, valueOf(f, records[i]!));
    return { name: f.name, data };
  });
}

export type ParquetCodec = "GZIP" | "SNAPPY";
export const DEFAULT_CODEC: ParquetCodec = "GZIP";
// mtime 0: the same rows make the same bytes (a purge rewrite compares them), whatever the second.
const COMPRESSORS = { GZIP: (b: Uint8Array) => gzipSync(b, { level: 6, mtime: 0 }) };

export interface ParquetOptions {
  rowGroupRows?: number;
  codec?: ParquetCodec;
  /** Extra key/value metadata in the file footer (the generation, the objects it covers). */
  metadata?: Record<string, string>;
}

/** Writes the records, in the order given, as one Parquet file. */
export function toParquet(records: readonly StoredRecord[], opts: ParquetOptions = {}): Uint8Array {
  const writer = new ByteWriter();
  const pq = new ParquetWriter({
    writer,
    schema: parquetSchema(),
    codec: opts.codec ?? DEFAULT_CODEC,
    compressors: COMPRESSORS,
    statistics: true,
    createdBy: "edge-collector (hyparquet-writer)",
    kvMetadata: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
  });
  const columns = columnsOf(records).map((c) => (TIMESTAMPS.has(c.name) ? { ...c, encoding: "DELTA_BINARY_PACKED" as const } : c));
  if (records.length > 0) pq.write({ columnData: columns as never, rowGroupSize: opts.rowGroupRows ?? ROW_GROUP_ROWS });
  pq.finish();
  return new Uint8Array(writer.getBuffer());
}
