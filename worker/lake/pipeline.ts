/**
 * The path to Iceberg: with PIPELINE_STREAM = "1" and a Pipelines binding LAKE_STREAM, the queue
 * consumer also sends every stored record to a Cloudflare Pipelines stream, created from
 * schemas/lake/stream-schema.json (the same zod-derived columns as the Parquet files), whose
 * sink is an Iceberg table in R2 Data Catalog (docs/LAKE.md has the wrangler commands).
 * The consumer sends before it writes the NDJSON object, so a failed send is retried with the
 * chunk: at least once into the stream (a retry after a send that did arrive repeats it).
 */
import type { StoredRecord } from "../../schemas";
import type { LakeField } from "../../schemas/lake-types";
import { log } from "../../durable-objects/lib/log";
import { cell, LAKE_SCHEMA, valueOf } from "./parquet";

/** Below the smallest documented ingestion request limit (1 MB). */
export const MAX_SEND_BYTES = 900_000;

/** A Parquet cell as JSON the stream takes: timestamps as epoch milliseconds (unit "millisecond"), int64 as numbers. */
function jsonCell(v: unknown): unknown {
  if (v instanceof Date) return v.getTime();
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map(jsonCell);
  if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = jsonCell(x);
    return o;
  }
  return v;
}

/** One stored record as a row of the stream: every schema field present (null when absent). */
export function toStreamRecord(r: StoredRecord, fields: readonly LakeField[] = LAKE_SCHEMA.fields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f.name] = jsonCell(cell(f, valueOf(f, r)));
  return out;
}

/** Records -> sends of at most MAX_SEND_BYTES of JSON each. */
export function sendBatches(rows: readonly Record<string, unknown>[], maxBytes = MAX_SEND_BYTES): Record<string, unknown>[][] {
  const out: Record<string, unknown>[][] = [];
  let cur: Record<string, unknown>[] = [];
  let size = 2;
  for (const row of rows) {
    const n = JSON.stringify(row).length + 1;
    if (cur.length > 0 && size + n > maxBytes) {
      out.push(cur);
      cur = [];
      size = 2;
    }
    cur.push(row);
    size += n;
  }
  if (cur.length) out.push(cur);
  return out;
}

let warned = false;
export function streamEnabled(env: Pick<Env, "PIPELINE_STREAM" | "LAKE_STREAM">): boolean {
  if (env.PIPELINE_STREAM !== "1") return false;
  if (env.LAKE_STREAM) return true;
  if (!warned) log("PIPELINE_STREAM is 1 but no LAKE_STREAM binding: not streaming", {});
  warned = true;
  return false;
}

/** Sends the records to the stream when it is switched on; throws when a send fails (the caller retries the chunk). */
export async function streamRecords(env: Pick<Env, "PIPELINE_STREAM" | "LAKE_STREAM">, records: readonly StoredRecord[]): Promise<number> {
  if (records.length === 0 || !streamEnabled(env)) return 0;
  for (const batch of sendBatches(records.map((r) => toStreamRecord(r)))) await env.LAKE_STREAM!.send(batch);
  return records.length;
}
