/**
 * Turns queued batches into request bodies: batches with the same head are merged, then cut
 * into envelopes of at most `maxEvents` events and `maxBytes` UTF-8 bytes (the beacon and
 * keepalive budget is 64 KiB in flight per page). An event too big for any envelope is dropped.
 */
import type { Batch } from "./types";

export const size = (s: string): number => new Blob([s]).size;

export function pack(batches: Batch[], sentAt: string, maxBytes = 6e4, maxEvents = 100): [Batch, string][] {
  const groups: Record<string, Batch> = {};
  for (const b of batches) (groups[JSON.stringify(b.h)] ||= { h: b.h, e: [] }).e.push(...b.e);
  const out: [Batch, string][] = [];
  for (const g of Object.values(groups)) {
    // Bytes of the head, ',"sent_at":"<24>","events":[]' (49), then each event and its comma.
    const base = size(JSON.stringify(g.h)) + 49;
    let cur: Batch | undefined;
    let bytes = 0;
    for (const e of g.e) {
      const n = size(JSON.stringify(e)) + 1;
      if (base + n > maxBytes) continue;
      if (!cur || cur.e.length >= maxEvents || bytes + n > maxBytes) {
        out.push([(cur = { h: g.h, e: [] }), ""]);
        bytes = base;
      }
      cur.e.push(e);
      bytes += n;
    }
  }
  for (const o of out) o[1] = JSON.stringify({ ...o[0].h, sent_at: sentAt, events: o[0].e });
  return out;
}
