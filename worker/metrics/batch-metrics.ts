/**
 * The metrics of one consumer batch, built from what the batch carried and what this run
 * wrote: accepted events by type and lake lag (received_at -> R2 write) per written record,
 * flush lag (first event of a chunk -> its queue send) per written chunk, the counters that
 * user objects sent as `stats` messages, queue messages and retries, and the newest events for
 * the live tail. Pure: the caller reports the delta (one write per site and hour).
 */
import type { LakeMessage, RejectedRow, StoredRecord } from "../../schemas";
import type { TailEntry } from "../../durable-objects/site-stats";
import { Delta } from "./delta";
import { observe } from "./sketch";
import { bump, type Tree } from "../../durable-objects/lib/metric-tree";

export const TAIL_PER_BATCH = 20;

export interface BatchInput {
  messages: readonly Message<unknown>[];
  acked: readonly Message<unknown>[];
  retried: readonly Message<unknown>[];
  /** chunk id -> the records this run wrote to the lake */
  written: ReadonlyMap<string, (StoredRecord | RejectedRow)[]>;
  messagesOf: ReadonlyMap<string, Message<unknown>[]>;
  objectsBySite: ReadonlyMap<string, number>;
  nowMs: number;
}

const bodyOf = (m: Message<unknown>): LakeMessage | null => {
  const b = m.body as LakeMessage | null;
  return b && typeof b === "object" && typeof b.site === "string" ? b : null;
};

const sketch = (row: Tree, k: string) => (row[k] ??= {}) as Record<string, number>;

export function tailEntry(r: StoredRecord): TailEntry {
  return { id: r.id, type: r.type, received_at: r.received_at, user: r.user_id ?? r.anonymous_id, path: r.page?.path ?? null, country: r.geo?.country ?? null, device: r.ua?.device_type ?? null, bot: !!r.bot };
}

export function batchMetrics(input: BatchInput): { delta: Delta; tails: Map<string, TailEntry[]>; sites: Record<string, number> } {
  const delta = new Delta();
  const tails = new Map<string, TailEntry[]>();
  const sites: Record<string, number> = {};
  const now = input.nowMs;

  // Queue traffic, per site named by the message.
  const batchSites = new Set<string>();
  for (const m of input.messages) {
    const b = bodyOf(m);
    if (!b) continue;
    batchSites.add(b.site);
    bump(delta.row(b.site, now), ["queue_messages"]);
  }
  for (const site of batchSites) bump(delta.row(site, now), ["consumer_batches"]);
  for (const m of input.retried) {
    const b = bodyOf(m);
    if (b) bump(delta.row(b.site, now), ["queue_retries"]);
  }
  for (const [site, n] of input.objectsBySite) bump(delta.row(site, now), ["lake_objects"], n);

  // Counters sent by user objects (duplicates), once their message is acked.
  for (const m of input.acked) {
    const b = bodyOf(m);
    if (b?.kind === "stats" && b.rows && typeof b.rows === "object") delta.addRows(b.site, b.rows);
  }

  // What this run wrote.
  for (const [chunk, records] of input.written) {
    const msg = input.messagesOf.get(chunk)?.[0];
    const body = msg ? bodyOf(msg) : null;
    if (!msg || !body || body.kind === "rejected" || body.kind === "stats") continue;
    let first = Infinity;
    for (const r of records as StoredRecord[]) {
      const at = Date.parse(r.received_at);
      if (!Number.isFinite(at)) continue;
      first = Math.min(first, at);
      const row = delta.row(r.site, at);
      bump(row, ["accepted", r.type]);
      bump(row, ["lake_events"]);
      observe(sketch(row, "lake_lag_ms"), now - at);
      sites[r.site] = (sites[r.site] ?? 0) + 1;
      const t = tails.get(r.site) ?? [];
      t.push(tailEntry(r));
      if (t.length > TAIL_PER_BATCH) t.shift();
      tails.set(r.site, t);
    }
    if (Number.isFinite(first)) observe(sketch(delta.row(body.site, first), "flush_lag_ms"), msg.timestamp.getTime() - first);
  }
  for (const t of tails.values()) t.sort((a, b) => (a.received_at < b.received_at ? -1 : a.received_at > b.received_at ? 1 : 0));
  return { delta, tails, sites };
}
