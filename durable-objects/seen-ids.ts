/**
 * Exact dedup memory of one user object: the event ids taken in the last DEDUP_TTL, and the
 * hashed ids of an erased person (tombstones).
 *
 * Ids live in the state row (state-row.ts) as groups [at, ids], one group per transaction, so
 * remembering a beacon's ids costs no row of its own. A user who sends more than INLINE_MAX ids
 * within the TTL (heavy users, scripts) has the oldest groups moved into `seen_log` rows of many
 * ids each. Lookups go to an in-memory Set built once per object lifetime; past
 * MAX_IN_MEMORY overflow ids the overflow is searched in SQLite instead (slower, still exact).
 * Groups and overflow rows go when their newest id is older than the TTL.
 */
import type { StoredRecord } from "../schemas";
import { tombstoneHash } from "./erasure";
import { SEEN_LOG_DDL } from "./migrate-v1";
import type { StateRow } from "./state-row";

export const INLINE_MAX = 256;
const MAX_IN_MEMORY = 100_000;
const TOMB_DDL = "CREATE TABLE IF NOT EXISTS tombstone (h TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID";

export class SeenIds {
  private set: Set<string> | undefined;
  /** Overflow ids too many to hold: look them up in SQLite. */
  private scanOverflow = false;
  private tombs: boolean | undefined;

  constructor(private readonly state: StateRow) {}

  private ids(): Set<string> {
    if (this.set) return this.set;
    const s = new Set<string>();
    for (const [, ids] of this.state.get().seen) for (const id of ids) s.add(id);
    if (this.state.hasTable("seen_log")) {
      let n = 0;
      const rows = this.state.sql.exec<{ ids: string }>("SELECT ids FROM seen_log").toArray();
      for (const r of rows) n += (JSON.parse(r.ids) as string[]).length;
      this.scanOverflow = n > MAX_IN_MEMORY;
      if (!this.scanOverflow) for (const r of rows) for (const id of JSON.parse(r.ids) as string[]) s.add(id);
    }
    return (this.set = s);
  }

  has(id: string): boolean {
    if (this.ids().has(id)) return true;
    return this.scanOverflow && this.state.sql.exec("SELECT 1 FROM seen_log, json_each(seen_log.ids) WHERE json_each.value = ? LIMIT 1", id).toArray().length > 0;
  }

  /** True when the id is new (and is now remembered, in the row the transaction writes). */
  add(id: string, now: number): boolean {
    if (!this.remember(id, now)) return false;
    this.spill();
    return true;
  }

  private remember(id: string, now: number): boolean {
    if (this.has(id)) return false;
    this.ids().add(id);
    const doc = this.state.get();
    const last = doc.seen[doc.seen.length - 1];
    if (last && last[0] === now) last[1].push(id);
    else doc.seen.push([now, [id]]);
    this.state.touch();
    return true;
  }

  /** New ids pass (and are remembered); seen ids and ids of an erased profile (retried) are duplicates. */
  dedup(records: readonly StoredRecord[], now: number): { fresh: StoredRecord[]; duplicate_ids: string[] } {
    const fresh: StoredRecord[] = [];
    const duplicate_ids: string[] = [];
    const tombs = this.hasTombstones();
    for (const r of records) {
      if ((tombs && this.isTombstoned(r.id)) || !this.remember(r.id, now)) duplicate_ids.push(r.id);
      else fresh.push(r);
    }
    if (fresh.length) this.spill(); // once per beacon, not once per id
    return { fresh, duplicate_ids };
  }

  /** Ids handed over by a merged anonymous object, with their own times. */
  adopt(rows: readonly { id: string; at: number }[]): void {
    const doc = this.state.get();
    for (const r of rows) {
      if (this.has(r.id)) continue;
      this.ids().add(r.id);
      doc.seen.push([r.at, [r.id]]);
    }
    doc.seen.sort((a, b) => a[0] - b[0]);
    this.state.touch();
    this.spill();
  }

  /** Every remembered id with its time (export, merge hand-over). */
  all(): { id: string; at: number }[] {
    const out: { id: string; at: number }[] = [];
    if (this.state.hasTable("seen_log")) {
      for (const r of this.state.sql.exec<{ at: number; ids: string }>("SELECT at, ids FROM seen_log ORDER BY at")) for (const id of JSON.parse(r.ids) as string[]) out.push({ id, at: r.at });
    }
    for (const [at, ids] of this.state.get().seen) for (const id of ids) out.push({ id, at });
    return out;
  }

  /** Every record already seen or tombstoned (read-only). */
  allKnown(records: readonly StoredRecord[]): boolean {
    return records.every((r) => this.has(r.id) || this.isTombstoned(r.id));
  }

  /** The oldest group over INLINE_MAX ids moves into one overflow row (one row written for many ids). */
  private spill(): void {
    const doc = this.state.get();
    let count = 0;
    for (const [, ids] of doc.seen) count += ids.length;
    if (count <= INLINE_MAX) return;
    const moved: string[] = [];
    let at = 0;
    while (doc.seen.length > 1 && count > INLINE_MAX / 2) {
      const [t, ids] = doc.seen.shift()!;
      moved.push(...ids);
      at = Math.max(at, t);
      count -= ids.length;
    }
    if (!moved.length) return;
    this.state.ensureTable("seen_log", SEEN_LOG_DDL);
    this.state.sql.exec("INSERT INTO seen_log (at, ids) VALUES (?, ?)", at, JSON.stringify(moved));
  }

  /** Drops groups older than the TTL from the row about to be written (no extra row). */
  trim(now: number, ttlMs: number): void {
    const doc = this.state.get();
    let i = 0;
    while (i < doc.seen.length && doc.seen[i]![0] < now - ttlMs) i++;
    if (i === 0) return;
    for (const [, ids] of doc.seen.splice(0, i)) for (const id of ids) this.set?.delete(id);
    this.state.touch();
  }

  /** The prune timer: expired groups, overflow rows and tombstones go. */
  prune(now: number, ttlMs: number): void {
    this.trim(now, ttlMs);
    if (this.state.hasTable("seen_log") && this.state.sql.exec("DELETE FROM seen_log WHERE at < ?", now - ttlMs).rowsWritten > 0) this.set = undefined;
    if (this.hasTombstones()) this.state.sql.exec("DELETE FROM tombstone WHERE at < ?", now - ttlMs);
  }

  /** Oldest remembered id or tombstone (ms), for the prune timer. */
  oldest(): number | null {
    let min = this.state.get().seen[0]?.[0] ?? Infinity;
    if (this.state.hasTable("seen_log")) min = Math.min(min, this.state.sql.exec<{ at: number | null }>("SELECT min(at) AS at FROM seen_log").one().at ?? Infinity);
    if (this.hasTombstones()) min = Math.min(min, this.state.sql.exec<{ at: number | null }>("SELECT min(at) AS at FROM tombstone").one().at ?? Infinity);
    return Number.isFinite(min) ? min : null;
  }

  // --- tombstones (after erasure) -------------------------------------------------------------

  hasTombstones(): boolean {
    this.tombs ??= this.state.hasTable("tombstone") && this.state.sql.exec("SELECT 1 FROM tombstone LIMIT 1").toArray().length > 0;
    return this.tombs;
  }

  isTombstoned(id: string): boolean {
    return this.hasTombstones() && this.state.sql.exec("SELECT 1 FROM tombstone WHERE h = ?", tombstoneHash(id)).toArray().length > 0;
  }

  /** Erasure: every remembered id becomes a hashed tombstone; the ids themselves go. */
  eraseToTombstones(): void {
    const all = this.all();
    if (all.length) {
      this.state.ensureTable("tombstone", TOMB_DDL);
      for (const s of all) this.state.sql.exec("INSERT OR IGNORE INTO tombstone (h, at) VALUES (?, ?)", tombstoneHash(s.id), s.at);
      this.tombs = true;
    }
    this.state.dropTable("seen_log");
    this.state.get().seen = [];
    this.set = new Set();
    this.scanOverflow = false;
    this.state.touch();
  }

  /** After a rollback. */
  forget(): void {
    this.set = undefined;
    this.tombs = undefined;
  }
}
