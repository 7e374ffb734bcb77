/**
 * The compaction job: a partition's NDJSON objects -> its next Parquet generation, exactly once
 * (rules in durable-objects/compaction-plan.ts, state in durable-objects/lake-manifest.ts).
 * The hourly Cron Trigger (`compactScheduled`) and POST /v1/admin/lake/compact (`compactPartition`)
 * run this same code.
 *
 *   lease (manifest) -> list events/<partition>/ -> uncovered objects -> read, dedup by id, sort by ts
 *   -> put parquet/<partition>/<generation>.parquet -> commit (generation covers those objects)
 */
import { mayPut, parquetKey, partitionPrefix, pickBatch, generationName, type Partition } from "../../durable-objects/compaction-plan";
import type { StoredRecord } from "../../schemas";
import { gunzip } from "../lib/lake";
import { log } from "../../durable-objects/lib/log";
import { PARQUET_CONTENT_TYPE, toParquet } from "./parquet";
import { expired, lakeTuning, scheduledPartitions, type LakeTuning } from "./schedule";

export interface CompactResult {
  /** The generation written now, else the latest one (null: the partition has none). */
  generation: string | null;
  /** NDJSON objects and events this run added (0 when there was nothing new). */
  objects: number;
  events: number;
  /** Uncovered objects left for a next run (caps per generation). */
  remaining_objects: number;
  key: string | null;
  /** Event ids seen twice among the objects of this generation (written once). */
  duplicates: number;
}

export class PartitionBusy extends Error {
  constructor(readonly busyUntil: number) {
    super("another compaction of this partition is running");
  }
}

export const manifestOf = (env: Env, p: Partition) => env.LAKE_MANIFEST.get(env.LAKE_MANIFEST.idFromName(partitionPrefix("parquet", p)));

export async function listKeys(bucket: R2Bucket, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, cursor });
    for (const o of page.objects) keys.push(o.key);
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys;
}

async function readRecords(bucket: R2Bucket, key: string): Promise<StoredRecord[]> {
  const obj = await bucket.get(key);
  if (!obj) throw new Error(`lake object vanished while compacting: ${key}`);
  const text = await gunzip(obj.body);
  const out: StoredRecord[] = [];
  for (const line of text.split("\n")) if (line) out.push(JSON.parse(line) as StoredRecord);
  return out;
}

/** Compacts what the partition's manifest does not cover yet into one new generation. */
export async function compactPartition(env: Env, p: Partition, opts: { now?: () => number; tuning?: LakeTuning } = {}): Promise<CompactResult> {
  const now = opts.now ?? Date.now;
  const t = opts.tuning ?? lakeTuning(env);
  const manifest = manifestOf(env, p);
  const run = crypto.randomUUID();
  const lease = await manifest.begin(run, now());
  if (!lease.ok) throw new PartitionBusy(lease.busy_until);
  let committed = false;
  try {
    const uncovered = await manifest.uncovered(await listKeys(env.LAKE, `${partitionPrefix("events", p)}/`));
    if (uncovered.length === 0) {
      const last = (await manifest.generations()).at(-1);
      return { generation: last ? generationName(last.generation) : null, objects: 0, events: 0, remaining_objects: 0, key: last?.key ?? null, duplicates: 0 };
    }
    const batch: string[] = [];
    const byId = new Map<string, StoredRecord>();
    let duplicates = 0;
    for (const key of pickBatch(uncovered, t.maxObjects)) {
      if (batch.length > 0 && byId.size >= t.maxEvents) break;
      batch.push(key);
      for (const r of await readRecords(env.LAKE, key)) {
        if (byId.has(r.id)) duplicates++;
        else byId.set(r.id, r);
      }
    }
    const records = [...byId.values()].sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const generation = generationName(lease.generation);
    const key = parquetKey(p, lease.generation);
    const bytes = toParquet(records, { metadata: { "edge-collector.generation": generation, "edge-collector.objects": String(batch.length) } });
    if (!mayPut(lease.since, now())) throw new Error(`compaction of ${key} too slow: lease may be taken over, not writing`);
    await env.LAKE.put(key, bytes, { httpMetadata: { contentType: PARQUET_CONTENT_TYPE }, customMetadata: { generation, events: String(records.length), objects: String(batch.length) } });
    committed = await manifest.commit(run, lease.generation, key, batch, records.length, now());
    if (!committed) throw new Error(`manifest refused generation ${key}: lease lost`);
    log("lake compacted", { partition: partitionPrefix("parquet", p), generation, objects: batch.length, events: records.length, duplicates, bytes: bytes.byteLength });
    return { generation, objects: batch.length, events: records.length, remaining_objects: uncovered.length - batch.length, key, duplicates };
  } finally {
    if (!committed) await manifest.release(run).catch(() => {});
  }
}

/** Deletes a partition's NDJSON objects that Parquet covers, once past retention. Uncovered objects stay. */
export async function expireNdjson(env: Env, p: Partition, now: number, retentionDays: number): Promise<number> {
  if (!expired(p, now, retentionDays)) return 0;
  const keys = await listKeys(env.LAKE, `${partitionPrefix("events", p)}/`);
  if (keys.length === 0) return 0;
  const open = new Set(await manifestOf(env, p).uncovered(keys));
  const covered = keys.filter((k) => !open.has(k));
  for (let i = 0; i < covered.length; i += 1000) await env.LAKE.delete(covered.slice(i, i + 1000));
  if (covered.length) log("lake ndjson expired", { partition: partitionPrefix("events", p), deleted: covered.length, kept_uncovered: open.size });
  return covered.length;
}

export interface ScheduledReport {
  partitions: number;
  generations: number;
  objects: number;
  events: number;
  deleted: number;
  busy: number;
  failed: number;
  /** The run's object budget ran out; the rest waits for the next run. */
  budget_exhausted: boolean;
}

/** The hourly job: every site's recent closed hours, then the hours reaching NDJSON retention. */
export async function compactScheduled(env: Env, nowMs = Date.now()): Promise<ScheduledReport> {
  const t = lakeTuning(env);
  const sites = Object.keys(JSON.parse(env.SITES ?? "{}") as Record<string, unknown>);
  const work = scheduledPartitions(sites, nowMs, t);
  const report: ScheduledReport = { partitions: 0, generations: 0, objects: 0, events: 0, deleted: 0, busy: 0, failed: 0, budget_exhausted: false };
  const compactAll = async (p: Partition): Promise<boolean> => {
    report.partitions++;
    for (;;) {
      if (report.objects >= t.runObjects) return !(report.budget_exhausted = true);
      try {
        const res = await compactPartition(env, p, { tuning: { ...t, maxObjects: Math.min(t.maxObjects, t.runObjects - report.objects) } });
        report.objects += res.objects;
        report.events += res.events;
        if (res.objects > 0) report.generations++;
        if (res.remaining_objects === 0) return true;
      } catch (e) {
        if (e instanceof PartitionBusy) report.busy++;
        else {
          report.failed++;
          log("lake compaction failed", { partition: partitionPrefix("events", p), error: (e as Error).message });
        }
        return false;
      }
    }
  };
  for (const p of work.compact) await compactAll(p);
  for (const p of work.expire) if (await compactAll(p)) report.deleted += await expireNdjson(env, p, nowMs, t.retentionDays);
  log("lake compaction run", { ...report, sites: sites.length });
  return report;
}
