/**
 * Queue consumer: a batch of flush chunks -> one gzip NDJSON object per (site, day, hour) in R2,
 * written before any message is acked. The object name is a hash of the chunk ids it holds,
 * so a redelivered batch overwrites its own object instead of adding a copy.
 */
import type { FlushChunk, StoredRecord } from "../../schemas";
import { backoffMs } from "../../durable-objects/backoff";
import type { Env } from "../env";
import { gzip, objectName, partitionOf, toNdjson } from "../lib/lake";

interface Part {
  prefix: string;
  records: StoredRecord[];
  chunks: Set<string>;
  messages: Set<Message<FlushChunk>>;
}

export function isChunk(b: unknown): b is FlushChunk {
  const x = b as FlushChunk;
  return !!x && x.v === 1 && typeof x.chunk === "string" && typeof x.site === "string" && Array.isArray(x.records);
}

export function partition(messages: readonly Message<unknown>[]): { parts: Part[]; malformed: Message<unknown>[] } {
  const parts = new Map<string, Part>();
  const malformed: Message<unknown>[] = [];
  for (const msg of messages) {
    if (!isChunk(msg.body)) {
      malformed.push(msg);
      continue;
    }
    for (const r of msg.body.records) {
      const prefix = partitionOf(r.site, r.received_at);
      let p = parts.get(prefix);
      if (!p) parts.set(prefix, (p = { prefix, records: [], chunks: new Set(), messages: new Set() }));
      p.records.push(r);
      p.chunks.add(msg.body.chunk);
      p.messages.add(msg as Message<FlushChunk>);
    }
  }
  return { parts: [...parts.values()], malformed };
}

export async function consumeBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const started = Date.now();
  const { parts, malformed } = partition(batch.messages);
  const failed = new Set<Message<unknown>>(malformed);
  const written: string[] = [];
  await Promise.all(
    parts.map(async (p) => {
      p.records.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
      const key = `${p.prefix}/${await objectName([...p.chunks], p.records[0]!.received_at)}`;
      try {
        await env.LAKE.put(key, await gzip(toNdjson(p.records)), {
          httpMetadata: { contentType: "application/gzip" },
          customMetadata: { events: String(p.records.length), chunks: String(p.chunks.size) },
        });
        written.push(key);
      } catch (e) {
        console.log(JSON.stringify({ msg: "lake put failed", key, error: (e as Error).message }));
        for (const m of p.messages) failed.add(m);
      }
    }),
  );
  for (const msg of batch.messages) {
    if (failed.has(msg)) msg.retry({ delaySeconds: Math.ceil(backoffMs(msg.attempts, 2000, 300_000) / 1000) });
    else msg.ack();
  }
  console.log(JSON.stringify({ msg: "consumer batch", queue: batch.queue, messages: batch.messages.length, objects: written.length, retried: failed.size, malformed: malformed.length, ms: Date.now() - started }));
}
