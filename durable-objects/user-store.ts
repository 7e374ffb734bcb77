/**
 * The user object's SQLite tables, behind one small interface: the object asks questions
 * ("seen this id?", "which anonymous ids are merged?") and never writes SQL itself.
 *   meta      k/v: site, id, profile JSON, bot state, consent, merged_into, generation, flush_attempt
 *   seen      event ids (exact dedup), pruned after the dedup TTL
 *   tombstone SHA-256 prefixes of erased event ids, pruned after the dedup TTL
 *   merged    anonymous ids merged into this user (or claimed elsewhere)
 *   held      events waiting for consent
 * The buffer and timers tables belong to Outbox and Schedule.
 */
import type { StoredRecord } from "../schemas";
import { tombstoneHash } from "./erasure";
import { upgradeProfile, type Profile } from "./profile";

export type MergedRow = {
  anon_id: string;
  outcome: string;
  at: number;
};

export class UserStore {
  /** The profile as last loaded or saved (undefined: not read yet). */
  private cached: Profile | null | undefined;

  constructor(private readonly sql: SqlStorage) {
    sql.exec(`
      CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS merged (anon_id TEXT PRIMARY KEY, outcome TEXT NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS tombstone (h TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS held (id TEXT PRIMARY KEY, at INTEGER NOT NULL, rec TEXT NOT NULL) WITHOUT ROWID;
    `);
  }

  // --- meta ---------------------------------------------------------------------------------

  meta(k: string): string | null {
    return this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", k).toArray()[0]?.v ?? null;
  }

  setMeta(k: string, v: string): void {
    this.sql.exec("INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v", k, v);
  }

  /** The first beacon names the object's site and id, for the alarm and forwarded reads. */
  claim(site: string, id: string): void {
    if (this.meta("site")) return;
    this.setMeta("site", site);
    this.setMeta("id", id);
  }

  // --- the profile --------------------------------------------------------------------------

  profile(): Profile | null {
    if (this.cached === undefined) {
      const v = this.meta("profile");
      this.cached = v ? upgradeProfile(JSON.parse(v) as Profile) : null;
    }
    return this.cached;
  }

  saveProfile(p: Profile): void {
    this.setMeta("profile", JSON.stringify(p));
    this.cached = p;
  }

  dropProfile(): void {
    this.sql.exec("DELETE FROM meta WHERE k = 'profile'");
    this.cached = null;
  }

  /** A rolled-back transaction may have cached a profile that was never stored. */
  forgetCache(): void {
    this.cached = undefined;
  }

  // --- dedup --------------------------------------------------------------------------------

  /** True when the id is new to this object (and is now remembered). */
  markSeen(id: string, now: number): boolean {
    return this.sql.exec("INSERT OR IGNORE INTO seen (id, at) VALUES (?, ?)", id, now).rowsWritten > 0;
  }

  /** Ids handed over by a merged anonymous object, so its retries stay duplicates here. */
  adoptSeen(rows: readonly { id: string; at: number }[]): void {
    for (const s of rows) this.sql.exec("INSERT OR IGNORE INTO seen (id, at) VALUES (?, ?)", s.id, s.at);
  }

  seenRows(): { id: string; at: number }[] {
    return this.sql.exec<{ id: string; at: number }>("SELECT id, at FROM seen ORDER BY at").toArray();
  }

  hasTombstones(): boolean {
    return this.sql.exec("SELECT 1 FROM tombstone LIMIT 1").toArray().length > 0;
  }

  isTombstoned(id: string): boolean {
    return this.sql.exec("SELECT 1 FROM tombstone WHERE h = ?", tombstoneHash(id)).toArray().length > 0;
  }

  /** Every id already seen here or tombstoned (read-only). */
  allKnown(records: readonly StoredRecord[]): boolean {
    const tomb = this.hasTombstones();
    return records.every((r) => this.sql.exec("SELECT 1 FROM seen WHERE id = ?", r.id).toArray().length > 0 || (tomb && this.isTombstoned(r.id)));
  }

  /** Oldest remembered id or tombstone (ms), for the prune timer. */
  oldestRemembered(): number | null {
    return this.sql.exec<{ at: number | null }>("SELECT min(at) AS at FROM (SELECT min(at) AS at FROM seen UNION ALL SELECT min(at) AS at FROM tombstone)").one().at;
  }

  prune(now: number, dedupTtlMs: number, holdMaxAgeMs: number): void {
    this.sql.exec("DELETE FROM seen WHERE at < ?", now - dedupTtlMs);
    this.sql.exec("DELETE FROM tombstone WHERE at < ?", now - dedupTtlMs);
    this.sql.exec("DELETE FROM held WHERE at < ?", now - holdMaxAgeMs);
  }

  // --- identity merges ----------------------------------------------------------------------

  isMerged(anon: string): boolean {
    return this.sql.exec("SELECT 1 FROM merged WHERE anon_id = ?", anon).toArray().length > 0;
  }

  recordMerge(anon: string, outcome: string, now: number): void {
    this.sql.exec("INSERT INTO merged (anon_id, outcome, at) VALUES (?, ?, ?)", anon, outcome, now);
  }

  mergedRows(): MergedRow[] {
    return this.sql.exec<MergedRow>("SELECT anon_id, outcome, at FROM merged").toArray();
  }

  // --- the consent buffer -------------------------------------------------------------------

  hold(records: readonly StoredRecord[], now: number, maxEvents: number): void {
    for (const r of records) this.sql.exec("INSERT OR IGNORE INTO held (id, at, rec) VALUES (?, ?, ?)", r.id, Date.parse(r.ts) || now, JSON.stringify(r));
    const over = this.heldCount() - maxEvents;
    if (over > 0) this.sql.exec("DELETE FROM held WHERE id IN (SELECT id FROM held ORDER BY at LIMIT ?)", over);
  }

  heldCount(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM held").one().n;
  }

  heldRecords(): StoredRecord[] {
    return this.sql.exec<{ rec: string }>("SELECT rec FROM held ORDER BY at").toArray().map((r) => JSON.parse(r.rec) as StoredRecord);
  }

  /** Takes every held record out (oldest first). */
  releaseHeld(): StoredRecord[] {
    const out = this.heldRecords();
    this.purgeHeld();
    return out;
  }

  purgeHeld(): void {
    this.sql.exec("DELETE FROM held");
  }

  // --- erasure ------------------------------------------------------------------------------

  /** Forgets the person: ids become tombstones (until the dedup TTL), everything else goes. */
  erase(): void {
    for (const s of this.seenRows()) this.sql.exec("INSERT OR IGNORE INTO tombstone (h, at) VALUES (?, ?)", tombstoneHash(s.id), s.at);
    for (const t of ["seen", "held", "merged", "meta"]) this.sql.exec(`DELETE FROM ${t}`);
    this.cached = null;
  }

  holdsAnything(): boolean {
    return !!this.meta("site") || this.heldCount() > 0;
  }
}
