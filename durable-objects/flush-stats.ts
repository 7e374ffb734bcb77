/**
 * What a user's object adds to the metrics: duplicates, counted in the same transaction that
 * drops them (so the count is exact; they live in the state row), and reported once per flush
 * as a small `stats` message on the events queue, which the consumer merges into its batch's
 * metrics. Also the structured log line of each flush.
 */
import type { LakeMessage, StatsChunk } from "../schemas";
import { log } from "./lib/log";
import { minuteOf } from "./lib/metric-tree";
import type { Tree } from "./lib/metric-tree";
import type { StateRow } from "./state-row";

/** Inside the ingest transaction. */
export function noteDuplicates(state: StateRow, n: number, atMs: number): void {
  if (n <= 0) return;
  const dups = state.get().dups;
  const m = String(minuteOf(atMs));
  dups[m] = (dups[m] ?? 0) + n;
  state.touch();
}

export function pendingStats(state: StateRow): Record<string, Tree> {
  const rows: Record<string, Tree> = {};
  for (const [m, n] of Object.entries(state.get().dups)) rows[m] = { duplicates: n };
  return rows;
}

/**
 * After a successful flush: sends pending counts (if any) and logs the flush. A failed send
 * keeps them for the next flush. The sent counts leave the row with its next write; a crash
 * before that sends them twice.
 */
export async function afterFlush(state: StateRow, queue: Queue<LakeMessage>, site: string, objectId: string, flush: { sent: number; remaining: number; startedMs: number }): Promise<void> {
  const rows = pendingStats(state);
  const minutes = Object.keys(rows);
  let reported = 0;
  if (minutes.length) {
    const msg: StatsChunk = { v: 1, kind: "stats", chunk: `stats-${objectId.slice(0, 16)}-${crypto.randomUUID()}`, site, records: [], rows };
    try {
      await queue.send(msg, { contentType: "json" });
      const dups = state.get().dups;
      for (const m of minutes) {
        reported += (rows[m]!.duplicates as number) ?? 0;
        const left = (dups[m] ?? 0) - ((rows[m]!.duplicates as number) ?? 0);
        if (left > 0) dups[m] = left;
        else delete dups[m];
      }
      state.touch();
    } catch (e) {
      log("flush stats not sent", { site, error: (e as Error).message });
    }
  }
  log("flush", { site, sent: flush.sent, remaining: flush.remaining, duplicates_reported: reported, ms: Date.now() - flush.startedMs });
}
