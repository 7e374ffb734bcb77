/**
 * Replaying dead letters: the messages kept under deadletter/ (worker/queue/deadletter.ts) go
 * back on the events queue as they were, so they take the normal path (consumer, LakeLedger,
 * R2) once more. POST /v1/admin/lake/replay and `npm run replay -- <prefix>` run this.
 *
 * Exactly once: each message keeps its chunk id, and the partition's LakeLedger writes a chunk
 * once (a chunk that did reach the lake before it was dead-lettered is skipped). After an
 * object's messages are on the queue, a marker `replayed/<key>.json` is written; an object with
 * a marker is not sent again (the ledger forgets chunks after 14 days, the marker does not).
 * A crash between sending and the marker re-sends on the next replay, which the ledger absorbs.
 */
import type { LakeMessage } from "../../schemas";
import { isChunk } from "../queue/consumer";
import { gunzip } from "../lib/lake";
import { log } from "../../durable-objects/lib/log";

/** Queue limits: sendBatch takes at most 100 messages and 256 KB. */
const MAX_BATCH_MESSAGES = 100;
const MAX_BATCH_BYTES = 250 * 1024;
export const MAX_OBJECTS_PER_REPLAY = 200;

export interface ReplayResult {
  prefix: string;
  objects: number;
  messages: number;
  events: number;
  already_replayed: number;
  skipped: { key: string; message_id: string | null; reason: string }[];
  /** More objects under the prefix: call again (replayed objects are skipped). */
  truncated: boolean;
}

export const markerKey = (key: string) => `replayed/${key}.json`;

export function checkReplayPrefix(prefix: unknown): string | null {
  if (typeof prefix !== "string" || !prefix.startsWith("deadletter/")) return "expected a prefix under deadletter/, e.g. deadletter/queue=collector-events-dlq/dt=2026-11-30/";
  if (prefix.length > 512) return "at most 512 characters";
  return null;
}

/** Dead-letter lines -> the messages to send again, and what cannot be. Pure. */
export function replayable(key: string, text: string): { messages: LakeMessage[]; skipped: ReplayResult["skipped"] } {
  const messages: LakeMessage[] = [];
  const skipped: ReplayResult["skipped"] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    const v = parseLine(line);
    const id = typeof v?.message_id === "string" ? v.message_id : null;
    if (v && isChunk(v.body)) messages.push(v.body);
    else skipped.push({ key, message_id: id, reason: "not a collector message (malformed body): kept in the lake, not replayed" });
  }
  return { messages, skipped };
}

function parseLine(line: string): { message_id?: unknown; body?: unknown } | null {
  try {
    const v = JSON.parse(line) as unknown;
    return v && typeof v === "object" ? (v as { message_id?: unknown; body?: unknown }) : null;
  } catch {
    return null;
  }
}

export async function replayDeadLetters(env: Env, prefix: string): Promise<ReplayResult> {
  const out: ReplayResult = { prefix, objects: 0, messages: 0, events: 0, already_replayed: 0, skipped: [], truncated: false };
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.LAKE.list({ prefix, cursor, limit: 1000 });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  for (const key of keys) {
    if (out.objects >= MAX_OBJECTS_PER_REPLAY) {
      out.truncated = true;
      break;
    }
    if (await env.LAKE.head(markerKey(key))) {
      out.already_replayed++;
      continue;
    }
    const obj = await env.LAKE.get(key);
    if (!obj) continue;
    const text = key.endsWith(".gz") ? await gunzip(obj.body) : await obj.text();
    const { messages, skipped } = replayable(key, text);
    out.skipped.push(...skipped);
    for (const batch of batches(messages)) await env.EVENTS.sendBatch(batch.map((body) => ({ body, contentType: "json" as const })));
    await env.LAKE.put(markerKey(key), JSON.stringify({ type: "replay", key, replayed_at: new Date().toISOString(), messages: messages.length, skipped: skipped.length }), { httpMetadata: { contentType: "application/json" } });
    out.objects++;
    out.messages += messages.length;
    out.events += messages.reduce((n, m) => n + (m.kind === "stats" ? 0 : m.records.length), 0);
  }
  log("dead letters replayed", { prefix, objects: out.objects, messages: out.messages, already_replayed: out.already_replayed, skipped: out.skipped.length });
  return out;
}

function* batches(messages: LakeMessage[]): Generator<LakeMessage[]> {
  let cur: LakeMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = JSON.stringify(m).length + 100;
    if (cur.length && (cur.length >= MAX_BATCH_MESSAGES || bytes + size > MAX_BATCH_BYTES)) {
      yield cur;
      cur = [];
      bytes = 0;
    }
    cur.push(m);
    bytes += size;
  }
  if (cur.length) yield cur;
}
