/**
 * Consumer of the dead-letter queue: messages the events consumer gave up on (10 failed
 * attempts) are written as they are to R2 under deadletter/, so nothing is dropped silently and
 * an operator can replay them, and they are counted in the metrics (deadletter_* per site).
 * The object's name depends only on the message ids: a redelivered batch overwrites itself.
 */
import type { LakeMessage } from "../../schemas";
import { deadLetterKey, objectName } from "../../durable-objects/lib/lake-keys";
import { gzip, toNdjson } from "../lib/lake";
import { log } from "../../durable-objects/lib/log";
import { Delta } from "../metrics/delta";
import { bump } from "../../durable-objects/lib/metric-tree";
import { report } from "../metrics/report";


export function deadLetterMetrics(messages: readonly Message<unknown>[], nowMs: number): Delta {
  const delta = new Delta();
  const sites = new Set<string>();
  for (const m of messages) {
    const b = m.body as LakeMessage | null;
    const site = b && typeof b === "object" && typeof b.site === "string" ? b.site : "_unknown";
    sites.add(site);
    const row = delta.row(site, nowMs);
    bump(row, ["deadletter_messages"]);
    if (b && Array.isArray(b.records) && b.kind !== "rejected") bump(row, ["deadletter_events"], b.records.length);
  }
  for (const s of sites) bump(delta.row(s, nowMs), ["deadletter_batches"]);
  return delta;
}

export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const started = Date.now();
  if (batch.messages.length === 0) return;
  const first = batch.messages.reduce((m, x) => (x.timestamp < m ? x.timestamp : m), batch.messages[0]!.timestamp).toISOString();
  const key = deadLetterKey(batch.queue, first, await objectName(batch.messages.map((m) => m.id), first));
  const lines = batch.messages.map((m) => ({ message_id: m.id, timestamp: m.timestamp.toISOString(), attempts: m.attempts, queue: batch.queue, body: m.body }));
  try {
    await env.LAKE.put(key, await gzip(toNdjson(lines)), { httpMetadata: { contentType: "application/gzip" }, customMetadata: { messages: String(lines.length) } });
  } catch (e) {
    log("dead letters not written", { queue: batch.queue, messages: lines.length, error: (e as Error).message });
    batch.retryAll({ delaySeconds: 30 });
    return;
  }
  batch.ackAll();
  await report(env, deadLetterMetrics(batch.messages, Date.now()));
  log("dead-letter batch", { queue: batch.queue, messages: lines.length, key, ms: Date.now() - started });
}
