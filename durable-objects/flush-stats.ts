/**
 * What a user's object adds to the metrics: duplicates, counted in the same SQLite transaction
 * that drops them (so the count is exact), and reported once per flush as a small `stats`
 * message on the events queue, which the consumer merges into its batch's metrics. Also the
 * structured log line of each flush.
 */
import type { LakeMessage, StatsChunk } from "../schemas";
import { log } from "./lib/log";
import { minuteOf } from "./lib/metric-tree";
import type { Tree } from "./lib/metric-tree";

const TABLE = "CREATE TABLE IF NOT EXISTS stats_pending (minute INTEGER PRIMARY KEY, duplicates INTEGER NOT NULL)";

/** Inside the ingest transaction. */
export function noteDuplicates(sql: SqlStorage, n: number, atMs: number): void {
  if (n <= 0) return;
  sql.exec(TABLE);
  sql.exec("INSERT INTO stats_pending (minute, duplicates) VALUES (?, ?) ON CONFLICT(minute) DO UPDATE SET duplicates = duplicates + excluded.duplicates", minuteOf(atMs), n);
}

export function pendingStats(sql: SqlStorage): Record<string, Tree> {
  sql.exec(TABLE);
  const rows: Record<string, Tree> = {};
  for (const r of sql.exec<{ minute: number; duplicates: number }>("SELECT minute, duplicates FROM stats_pending")) rows[String(r.minute)] = { duplicates: r.duplicates };
  return rows;
}

/**
 * After a successful flush: sends pending counts (if any) and logs the flush. A failed send
 * keeps them for the next flush. A crash between the send and the delete sends them twice.
 */
export async function afterFlush(sql: SqlStorage, queue: Queue<LakeMessage>, site: string, objectId: string, flush: { sent: number; remaining: number; startedMs: number }): Promise<void> {
  const rows = pendingStats(sql);
  const minutes = Object.keys(rows);
  let reported = 0;
  if (minutes.length) {
    const msg: StatsChunk = { v: 1, kind: "stats", chunk: `stats-${objectId.slice(0, 16)}-${crypto.randomUUID()}`, site, records: [], rows };
    try {
      await queue.send(msg, { contentType: "json" });
      sql.exec(`DELETE FROM stats_pending WHERE minute IN (${minutes.map(() => "?").join(",")})`, ...minutes.map(Number));
      reported = minutes.reduce((a, m) => a + ((rows[m]!.duplicates as number) ?? 0), 0);
    } catch (e) {
      log("flush stats not sent", { site, error: (e as Error).message });
    }
  }
  log("flush", { site, sent: flush.sent, remaining: flush.remaining, duplicates_reported: reported, ms: Date.now() - flush.startedMs });
}
