/**
 * Objects written before the state row (layout v1: tables meta, seen, timers, stats_pending, and
 * a buffer row per beacon) are moved to it on their first use, once: the profile and the facts of
 * `meta`, the timers, the duplicate counts and the remembered ids go into the state document; the
 * buffer rows stay where they are and become the outbox's `buffer` rows (those without a chunk
 * get one, so their id is fixed before any send). The old tables are then dropped. Every step
 * can run again after a crash: nothing is lost or sent under two ids.
 */
import type { Profile } from "./profile";
import type { StateDoc, TimerKey } from "./state-row";

const V1_ONLY = ["meta", "seen", "timers", "stats_pending"];
const INLINE_KEEP = 128;
export const SEEN_LOG_DDL = "CREATE TABLE IF NOT EXISTS seen_log (at INTEGER NOT NULL, ids TEXT NOT NULL)";

export function isV1(tables: ReadonlySet<string>): boolean {
  return tables.has("meta");
}

/** Fills the state document from v1 tables (a heavy user's many ids go to overflow rows). */
export function migrateV1(sql: SqlStorage, tables: ReadonlySet<string>, doc: StateDoc, objectId: string): StateDoc {
  const meta: Record<string, string> = {};
  for (const r of sql.exec<{ k: string; v: string }>("SELECT k, v FROM meta")) meta[r.k] = r.v;
  const { profile, generation, flush_attempt, ...facts } = meta;
  doc.meta = facts;
  doc.profile = profile ? (JSON.parse(profile) as Profile) : null;
  if (generation) doc.gen = generation;
  doc.attempt = Number(flush_attempt ?? 0) || 0;
  if (tables.has("timers")) for (const r of sql.exec<{ name: TimerKey; due: number }>("SELECT name, due FROM timers")) doc.timers[r.name] = r.due;
  if (tables.has("stats_pending")) for (const r of sql.exec<{ minute: number; duplicates: number }>("SELECT minute, duplicates FROM stats_pending")) doc.dups[String(r.minute)] = r.duplicates;
  if (tables.has("seen")) {
    const groups = new Map<number, string[]>();
    for (const r of sql.exec<{ id: string; at: number }>("SELECT id, at FROM seen ORDER BY at")) {
      const g = groups.get(r.at);
      if (g) g.push(r.id);
      else groups.set(r.at, [r.id]);
    }
    doc.seen = [...groups];
    // More ids than a row should hold: all but the newest go to overflow rows (seen-ids.ts).
    let inline = 0;
    let cut = doc.seen.length;
    while (cut > 0 && inline + doc.seen[cut - 1]![1].length <= INLINE_KEEP) inline += doc.seen[--cut]![1].length;
    if (cut > 0) {
      sql.exec(SEEN_LOG_DDL);
      const old = doc.seen.splice(0, cut);
      for (let i = 0; i < old.length; i += 200) {
        const part = old.slice(i, i + 200);
        sql.exec("INSERT INTO seen_log (at, ids) VALUES (?, ?)", part[part.length - 1]![0], JSON.stringify(part.flatMap(([, ids]) => ids)));
      }
    }
  }
  if (tables.has("buffer")) {
    // Rows not bound to a chunk yet get their own; bound ones keep theirs (they may have been sent).
    for (const r of sql.exec<{ seq: number }>("SELECT seq FROM buffer WHERE chunk IS NULL ORDER BY seq").toArray()) {
      sql.exec("UPDATE buffer SET chunk = ? WHERE seq = ?", `${objectId.slice(0, 16)}-${doc.gen}-v1-${r.seq}`, r.seq);
    }
  }
  return doc;
}

/** After the state row holding the moved data is written. */
export function dropV1(sql: SqlStorage, tables: Set<string>): void {
  for (const t of V1_ONLY) {
    if (!tables.has(t)) continue;
    sql.exec(`DROP TABLE ${t}`);
    tables.delete(t);
  }
}
