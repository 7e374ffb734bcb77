/**
 * The user object's data behind one small interface: the object asks questions ("seen this
 * id?", "which anonymous ids are merged?") and never writes SQL itself.
 *   state row  (state-row.ts)  meta (site, id, consent, bot, merged_into), the profile, timers,
 *                              recent event ids (seen-ids.ts), the outbox: one row, written
 *                              once per transaction
 *   seen_log, tombstone        overflow ids of heavy users, hashed ids of an erased person
 *   merged                     anonymous ids merged into this user (or claimed elsewhere)
 *   held                       events waiting for consent
 * The last four tables exist only in the objects that need them.
 */
import type { StoredRecord } from "../schemas";
import { upgradeProfile, type Profile } from "./profile";
import { SeenIds } from "./seen-ids";
import { StateRow } from "./state-row";

export type MergedRow = {
  anon_id: string;
  outcome: string;
  at: number;
};

const MERGED_DDL = "CREATE TABLE IF NOT EXISTS merged (anon_id TEXT PRIMARY KEY, outcome TEXT NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID";
const HELD_DDL = "CREATE TABLE IF NOT EXISTS held (id TEXT PRIMARY KEY, at INTEGER NOT NULL, rec TEXT NOT NULL) WITHOUT ROWID";

export class UserStore {
  readonly state: StateRow;
  readonly seen: SeenIds;
  private upgraded = false;

  constructor(
    private readonly sql: SqlStorage,
    objectId: string,
  ) {
    this.state = new StateRow(sql, objectId);
    this.seen = new SeenIds(this.state);
  }

  // --- meta ---------------------------------------------------------------------------------

  meta(k: string): string | null {
    return this.state.get().meta[k] ?? null;
  }

  setMeta(k: string, v: string): void {
    const m = this.state.get().meta;
    if (m[k] === v) return; // not rewriting what did not change
    m[k] = v;
    this.state.touch();
  }

  /** The first beacon names the object's site and id, for the alarm and forwarded reads. */
  claim(site: string, id: string): void {
    if (this.meta("site")) return;
    this.setMeta("site", site);
    this.setMeta("id", id);
  }

  // --- the profile --------------------------------------------------------------------------

  profile(): Profile | null {
    const doc = this.state.get();
    if (doc.profile && !this.upgraded) {
      doc.profile = upgradeProfile(doc.profile);
      this.upgraded = true;
    }
    return doc.profile;
  }

  saveProfile(p: Profile): void {
    this.state.get().profile = p;
    this.upgraded = true;
    this.state.touch();
  }

  dropProfile(): void {
    this.state.get().profile = null;
    this.state.touch();
  }

  /** A rolled-back transaction may have changed what memory holds: read the row again. */
  forgetCache(): void {
    this.state.forget();
    this.seen.forget();
    this.upgraded = false;
  }

  // --- dedup (seen-ids.ts) -------------------------------------------------------------------

  markSeen(id: string, now: number): boolean {
    return this.seen.add(id, now);
  }

  seenRows(): { id: string; at: number }[] {
    return this.seen.all();
  }

  allKnown(records: readonly StoredRecord[]): boolean {
    return this.seen.allKnown(records);
  }

  oldestRemembered(): number | null {
    return this.seen.oldest();
  }

  prune(now: number, dedupTtlMs: number, holdMaxAgeMs: number): void {
    this.seen.prune(now, dedupTtlMs);
    if (this.state.hasTable("held")) this.sql.exec("DELETE FROM held WHERE at < ?", now - holdMaxAgeMs);
  }

  // --- identity merges ----------------------------------------------------------------------

  isMerged(anon: string): boolean {
    return this.state.hasTable("merged") && this.sql.exec("SELECT 1 FROM merged WHERE anon_id = ?", anon).toArray().length > 0;
  }

  recordMerge(anon: string, outcome: string, now: number): void {
    this.state.ensureTable("merged", MERGED_DDL);
    this.sql.exec("INSERT INTO merged (anon_id, outcome, at) VALUES (?, ?, ?)", anon, outcome, now);
  }

  mergedRows(): MergedRow[] {
    return this.state.hasTable("merged") ? this.sql.exec<MergedRow>("SELECT anon_id, outcome, at FROM merged").toArray() : [];
  }

  // --- the consent buffer -------------------------------------------------------------------

  hold(records: readonly StoredRecord[], now: number, maxEvents: number): void {
    this.state.ensureTable("held", HELD_DDL);
    for (const r of records) this.sql.exec("INSERT OR IGNORE INTO held (id, at, rec) VALUES (?, ?, ?)", r.id, Date.parse(r.ts) || now, JSON.stringify(r));
    const over = this.heldCount() - maxEvents;
    if (over > 0) this.sql.exec("DELETE FROM held WHERE id IN (SELECT id FROM held ORDER BY at LIMIT ?)", over);
  }

  heldCount(): number {
    return this.state.hasTable("held") ? this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM held").one().n : 0;
  }

  heldRecords(): StoredRecord[] {
    return this.state.hasTable("held") ? this.sql.exec<{ rec: string }>("SELECT rec FROM held ORDER BY at").toArray().map((r) => JSON.parse(r.rec) as StoredRecord) : [];
  }

  /** Takes every held record out (oldest first). */
  releaseHeld(): StoredRecord[] {
    const out = this.heldRecords();
    this.purgeHeld();
    return out;
  }

  purgeHeld(): void {
    if (this.state.hasTable("held")) this.sql.exec("DELETE FROM held");
  }

  // --- erasure ------------------------------------------------------------------------------

  /** Forgets the person: ids become tombstones (until the dedup TTL), everything else goes. */
  erase(): void {
    this.seen.eraseToTombstones();
    for (const t of ["held", "merged"]) this.state.dropTable(t);
    this.state.reset();
    this.upgraded = false;
  }

  holdsAnything(): boolean {
    return !!this.meta("site") || this.heldCount() > 0;
  }
}
