/**
 * Bad rows are kept, not dropped: refused events (and refused envelopes of known sites) go
 * through the queue to rejected/site=<site>/dt=.../hr=.../ in the lake, with their reason.
 * REJECTED_SAMPLE_RATE (0..1, default 1) keeps a sample when a broken client floods.
 */
import type { RejectedRow } from "../schemas";
import { redactEmails } from "./lib/scrub";
import { redactSignatures } from "./lib/segment-identity";

const RAW_MAX = 4096;
const ROWS_MAX = 100;

/** `who`: the sender's anonymous and user ids when it named them (strings only), so erasure can find the row. */
export function rejectedRow(site: string, receivedMs: number, reason: RejectedRow["reason"], r: { index: number | null; id: string | null; errors: RejectedRow["errors"] }, raw: unknown, who: { anonymous_id?: unknown; user_id?: unknown } = {}): RejectedRow {
  const text = typeof raw === "string" ? raw : (JSON.stringify(raw) ?? String(raw));
  const id = (v: unknown) => (typeof v === "string" && v.length > 0 ? v.slice(0, 128) : typeof v === "number" && Number.isFinite(v) ? String(v) : null);
  return { site, received_at: new Date(receivedMs).toISOString(), reason, index: r.index, id: r.id, errors: r.errors.slice(0, 20), raw: redactSignatures(redactEmails(text.slice(0, RAW_MAX))), anonymous_id: id(who.anonymous_id), user_id: id(who.user_id) };
}

export function sampleRate(env: Env): number {
  const n = Number(env.REJECTED_SAMPLE_RATE ?? "1");
  return Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 1;
}

/** Sends the rows to the queue (not on the answer's path: pass the result to waitUntil). */
export async function keepRejected(env: Env, site: string, rows: RejectedRow[], rand: () => number = Math.random): Promise<void> {
  if (rows.length === 0 || rand() >= sampleRate(env)) return;
  try {
    await env.EVENTS.send({ v: 1, kind: "rejected", chunk: `rej-${crypto.randomUUID()}`, site, records: rows.slice(0, ROWS_MAX) }, { contentType: "json" });
  } catch (e) {
    console.log(JSON.stringify({ msg: "rejected rows not kept", site, rows: rows.length, error: (e as Error).message }));
  }
}
