/**
 * An erased person's rows out of a Parquet generation (parquet/site=/dt=/hr=/<generation>.parquet):
 * the rows are read back into the stored-record form the compaction wrote them from (timestamps
 * as ISO strings, 64-bit integers as numbers, props as JSON), the person's rows are dropped, and
 * the rest is written again by the compaction's own writer (worker/lake/parquet.ts), with the
 * same codec and footer metadata, in the same order. Deterministic: the same file in gives the
 * same bytes out, and a purged file purged again loses nothing more.
 */
import { gunzipSync } from "fflate";
import { parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import type { StoredRecord } from "../../schemas";
import { ownerMatcher, type Deletion } from "./erasure-filter";
import { toParquet, type ParquetCodec } from "./parquet";

export interface ParquetFiltered {
  /** The new file, or null when no row is the person's. */
  bytes: Uint8Array | null;
  kept: number;
  removed: Map<string, number>;
}

/** A value as hyparquet reads it -> as the stored record had it (Date -> ISO string, bigint -> number), recursively. */
function recordForm(v: unknown): unknown {
  if (v instanceof Date) return Number.isFinite(v.getTime()) ? v.toISOString() : null;
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map(recordForm);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, recordForm(x)]));
  return v;
}

export async function filterParquet(bytes: Uint8Array, deletions: readonly Deletion[]): Promise<ParquetFiltered> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const meta = await parquetMetadataAsync(file);
  const rows = (await parquetReadObjects({ file, compressors: { GZIP: (b: Uint8Array) => gunzipSync(b) } })) as Record<string, unknown>[];
  const owner = ownerMatcher(deletions);
  const removed = new Map<string, number>();
  const kept: StoredRecord[] = [];
  for (const row of rows) {
    const rec = recordForm(row) as Record<string, unknown>;
    const k = owner(rec);
    if (k) removed.set(k, (removed.get(k) ?? 0) + 1);
    else kept.push(rec as unknown as StoredRecord);
  }
  if (removed.size === 0) return { bytes: null, kept: rows.length, removed };
  const kv = Object.fromEntries((meta.key_value_metadata ?? []).map((e) => [e.key, e.value ?? ""]));
  const purged = Number(kv["edge-collector.purged_rows"] ?? 0) + [...removed.values()].reduce((a, b) => a + b, 0);
  const codec = meta.row_groups[0]?.columns[0]?.meta_data?.codec === "SNAPPY" ? "SNAPPY" : "GZIP";
  const out = toParquet(kept, { codec: codec as ParquetCodec, metadata: { ...kv, "edge-collector.purged_rows": String(purged) } });
  return { bytes: out, kept: kept.length, removed };
}
