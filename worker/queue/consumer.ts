/**
 * Queue consumer: a batch of flush chunks -> one gzip NDJSON object per (site, day, hour) in R2,
 * written before any message is acked. The partition's LakeLedger decides which chunks still
 * need writing, so redeliveries and re-sent chunks never land twice (see lake-ledger.ts).
 */
import type { LakeMessage, RejectedRow, StoredRecord } from "../../schemas";
import { backoffMs } from "../../durable-objects/backoff";
import { CLAIM_LEASE_MS, type LakeLedger } from "../../durable-objects/lake-ledger";
import { objectName, partitionOf } from "../../durable-objects/lib/lake-keys";
import { streamRecords } from "../lake/pipeline";
import { gzip, toNdjson } from "../lib/lake";
import { log } from "../../durable-objects/lib/log";
import { batchMetrics } from "../metrics/batch-metrics";
import { applyItemStats } from "./items";
import { report } from "../metrics/report";

export interface Part {
  prefix: string;
  /** chunk id -> its records that fall in this partition */
  chunks: Map<string, (StoredRecord | RejectedRow)[]>;
}

/**
 * The longest wait between two attempts of a failed message (QUEUE_RETRY_MAX_SECONDS, default
 * 300): with max_retries = 10 a message that keeps failing reaches the dead-letter queue after
 * about 20 minutes of retries (2 s, 4 s, ... 300 s, with jitter).
 */
export function retryCapMs(env: Pick<Env, "QUEUE_RETRY_MAX_SECONDS">): number {
  const raw = env.QUEUE_RETRY_MAX_SECONDS;
  const s = raw === undefined || raw === "" ? 300 : Number(raw);
  return Number.isFinite(s) && s >= 0 ? Math.min(s, 43_200) * 1000 : 300_000;
}

export function isChunk(b: unknown): b is LakeMessage {
  const x = b as LakeMessage;
  return !!x && x.v === 1 && typeof x.chunk === "string" && typeof x.site === "string" && Array.isArray(x.records) && (x.kind === undefined || x.kind === "events" || x.kind === "rejected" || x.kind === "stats");
}

/** Groups records by lake partition; remembers which message each chunk came in. */
export function partition(messages: readonly Message<unknown>[]) {
  const parts = new Map<string, Part>();
  const messagesOf = new Map<string, Message<unknown>[]>();
  const malformed: Message<unknown>[] = [];
  for (const msg of messages) {
    if (!isChunk(msg.body)) {
      malformed.push(msg);
      continue;
    }
    // The same chunk twice in one batch (an object re-sent it after a crash): write it once,
    // and settle both messages by its outcome.
    const twins = messagesOf.get(msg.body.chunk);
    if (twins) {
      twins.push(msg);
      continue;
    }
    messagesOf.set(msg.body.chunk, [msg]);
    const base = msg.body.kind === "rejected" ? "rejected" : "events";
    for (const r of msg.body.records as (StoredRecord | RejectedRow)[]) {
      const prefix = partitionOf(r.site, r.received_at, base);
      let p = parts.get(prefix);
      if (!p) parts.set(prefix, (p = { prefix, chunks: new Map() }));
      let list = p.chunks.get(msg.body.chunk);
      if (!list) p.chunks.set(msg.body.chunk, (list = []));
      list.push(r);
    }
  }
  return { parts: [...parts.values()], messagesOf, malformed };
}

/** "written": by this run (counted in the metrics); "done": already in the lake. */
type Outcome = "written" | "done" | "failed" | "busy";

async function writePart(p: Part, env: Env): Promise<Map<string, Outcome>> {
  const outcome = new Map<string, Outcome>();
  const all = [...p.chunks.values()].flat();
  const first = all.reduce((m, r) => (r.received_at < m ? r.received_at : m), all[0]!.received_at);
  const key = `${p.prefix}/${await objectName([...p.chunks.keys(), crypto.randomUUID()], first)}`;
  const ledger = env.LEDGER.get(env.LEDGER.idFromName(p.prefix));
  let claim;
  try {
    claim = await ledger.claim([...p.chunks.keys()], key);
  } catch (e) {
    log("ledger claim failed", { partition: p.prefix, error: (e as Error).message });
    for (const c of p.chunks.keys()) outcome.set(c, "failed");
    return outcome;
  }
  for (const c of claim.skip) outcome.set(c, "done");
  for (const c of claim.busy) outcome.set(c, "busy");
  if (claim.write.length === 0) return outcome;
  const records = claim.write.flatMap((c) => p.chunks.get(c)!);
  const at = (r: StoredRecord | RejectedRow) => ("ts" in r ? r.ts : r.received_at);
  records.sort((a, b) => (at(a) < at(b) ? -1 : at(a) > at(b) ? 1 : 0));
  try {
    // Pipelines stream (off unless PIPELINE_STREAM=1): sent first, so a failed send retries the chunk.
    if (p.prefix.startsWith("events/")) await streamRecords(env, records as StoredRecord[]);
    await env.LAKE.put(key, await gzip(toNdjson(records)), {
      httpMetadata: { contentType: "application/gzip" },
      customMetadata: { events: String(records.length), chunks: String(claim.write.length) },
    });
  } catch (e) {
    log("lake put failed", { key, error: (e as Error).message });
    if (!(await settleFailedPut(env, ledger, key))) {
      for (const c of claim.write) outcome.set(c, "failed");
      return outcome;
    }
  }
  // If this commit is lost, the next claim finds the object in R2 and skips these chunks anyway.
  await ledger.commit(key).catch(() => {});
  for (const c of claim.write) outcome.set(c, "written");
  return outcome;
}

/**
 * A put that failed may still have written the object (the error came after the write). Only
 * an object known to be absent releases the claim; one that exists counts as written; when R2
 * cannot tell, the claim stays until its lease ends and the next claim checks R2 again.
 */
async function settleFailedPut(env: Env, ledger: DurableObjectStub<LakeLedger>, key: string): Promise<boolean> {
  const head = await env.LAKE.head(key).catch(() => undefined);
  if (head === null) await ledger.release(key).catch(() => {});
  return !!head;
}

export async function consumeBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const started = Date.now();
  const { parts, messagesOf, malformed } = partition(batch.messages);
  const results = await Promise.all(parts.map((p) => writePart(p, env)));
  const failed = new Set<Message<unknown>>(malformed);
  const busy = new Set<Message<unknown>>();
  for (const res of results) {
    for (const [chunk, o] of res) {
      for (const m of messagesOf.get(chunk)!) {
        if (o === "failed") failed.add(m);
        else if (o === "busy") busy.add(m);
      }
    }
  }
  const capMs = retryCapMs(env);
  for (const msg of batch.messages) {
    if (failed.has(msg)) msg.retry({ delaySeconds: Math.ceil(backoffMs(msg.attempts, Math.min(2000, capMs), capMs) / 1000) });
    else if (busy.has(msg)) msg.retry({ delaySeconds: Math.ceil(CLAIM_LEASE_MS / 2000) });
    else msg.ack();
  }
  // Co-visits, popularity and trending of the chunks this run wrote (queue/items.ts).
  await applyItemStats(env, results, messagesOf);
  // Metrics of what this run wrote (chunks already in the lake were counted by the run that wrote them).
  const written = new Map<string, (StoredRecord | RejectedRow)[]>();
  parts.forEach((p, i) => {
    for (const [chunk, o] of results[i]!) if (o === "written") written.set(chunk, [...(written.get(chunk) ?? []), ...p.chunks.get(chunk)!]);
  });
  const objects = objectsBySite(parts, results);
  const acked = batch.messages.filter((m) => !failed.has(m) && !busy.has(m));
  const now = Date.now();
  const { delta, tails, sites } = batchMetrics({ messages: batch.messages, acked, retried: [...failed, ...busy], written, messagesOf, objectsBySite: objects, nowMs: now });
  await report(env, delta, tails);
  // The worst lags of what this batch wrote, so log-based monitors (OpenTelemetry export) can alert on them.
  const lags = worstLags(written, messagesOf, now);
  log("consumer batch", { queue: batch.queue, messages: batch.messages.length, partitions: parts.length, objects: [...objects.values()].reduce((a, b) => a + b, 0), retried: failed.size, busy: busy.size, malformed: malformed.length, sites, ms: now - started, ...lags });
}

/** lake_lag_max_ms: oldest received_at written -> now; flush_lag_max_ms: a chunk's first received_at -> its queue timestamp. */
export function worstLags(written: Map<string, (StoredRecord | RejectedRow)[]>, messagesOf: Map<string, Message<unknown>[]>, now: number): { lake_lag_max_ms?: number; flush_lag_max_ms?: number } {
  let lake = -1;
  let flush = -1;
  for (const [chunk, records] of written) {
    const msg = messagesOf.get(chunk)?.[0];
    if ((msg?.body as LakeMessage | undefined)?.kind === "rejected") continue;
    let first = Infinity;
    for (const r of records) {
      const at = Date.parse(r.received_at);
      if (Number.isFinite(at)) first = Math.min(first, at);
    }
    if (!Number.isFinite(first)) continue;
    lake = Math.max(lake, now - first);
    if (msg) flush = Math.max(flush, msg.timestamp.getTime() - first);
  }
  return { ...(lake >= 0 ? { lake_lag_max_ms: lake } : {}), ...(flush >= 0 ? { flush_lag_max_ms: flush } : {}) };
}

function objectsBySite(parts: Part[], results: Map<string, Outcome>[]): Map<string, number> {
  const out = new Map<string, number>();
  parts.forEach((p, i) => {
    if (![...results[i]!.values()].includes("written")) return;
    const site = /^[a-z]+\/site=([^/]+)\//.exec(p.prefix)?.[1] ?? "unknown";
    out.set(site, (out.get(site) ?? 0) + 1);
  });
  return out;
}
