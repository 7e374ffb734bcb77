/**
 * The purge job's ledger (one object, named "lake"): which deletion records it knows, how far
 * each has been applied to the lake, the scan in progress, and what it removed from which object.
 * The job itself runs in the worker (worker/lake/purge.ts); this object makes it resumable,
 * exactly once and single-runner:
 *
 *   lease     one run at a time (a run that dies loses its lease after LEASE_MS);
 *   intent    written before an object is rewritten, `done` after: a run that dies in between
 *             leaves an intent, and the next run finds the object already without the lines
 *             (the rewrite is deterministic) and records the intent's counts, once;
 *   scan      the prefixes to go through and the last key done, so a run that stops (budget,
 *             crash) is continued by the next one, not restarted;
 *   watermark each deletion's `checked_through`: objects uploaded before it were checked, so
 *             later runs read only newer objects (late arrivals), until ACTIVE_MS after the request.
 */
import { DurableObject } from "cloudflare:workers";
import type { ErasureRecord } from "./erasure";

/** A deletion is re-applied to newly written objects this long after it was requested (queue retention, flush retries). */
export const ACTIVE_MS = 14 * 24 * 3_600_000;
export const LEASE_MS = 10 * 60_000;

export interface DeletionRow {
  key: string;
  site: string;
  requested_at: string;
  record: ErasureRecord;
  /** Objects uploaded before this (ms) have been checked; null: never applied yet. */
  checked_through: number | null;
  applied_at: string | null;
  objects_rewritten: number;
  events_removed: number;
}

export interface ScanTask {
  prefix: string;
  kind: "events" | "rejected" | "deadletter" | "parquet";
  site: string | null;
}

export interface Scan {
  id: string;
  /** Deletions this scan applies, and the watermark they get when it completes. */
  deletions: string[];
  watermark: number;
  tasks: ScanTask[];
  task: number;
  /** Last key done in tasks[task] (R2 list order). */
  after: string | null;
  started_at: string;
}

export interface PurgeStatus {
  pending_deletions: number;
  active_deletions: number;
  closed_deletions: number;
  oldest_pending_requested_at: string | null;
  scan: { id: string; task: number; tasks: number; prefix: string | null; after: string | null; started_at: string } | null;
  last_run: RunSummary | null;
  totals: { deletions_applied: number; objects_rewritten: number; events_removed: number };
}

export interface RunSummary {
  run: string;
  at: string;
  deletions_applied: number;
  objects_rewritten: number;
  events_removed: number;
  objects_scanned: number;
  complete: boolean;
}

type Row = Omit<DeletionRow, "record"> & { record: string; closed: number };

export class PurgeLedger extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS deletions (key TEXT PRIMARY KEY, site TEXT NOT NULL, requested_at TEXT NOT NULL, record TEXT NOT NULL,
        checked_through INTEGER, applied_at TEXT, objects_rewritten INTEGER NOT NULL DEFAULT 0, events_removed INTEGER NOT NULL DEFAULT 0, closed INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS applied (deletion TEXT NOT NULL, object TEXT NOT NULL, removed INTEGER NOT NULL, at TEXT NOT NULL, PRIMARY KEY (deletion, object)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS intents (object TEXT PRIMARY KEY, removed TEXT NOT NULL, at TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID;
    `);
  }

  // --- lease ---------------------------------------------------------------------------------

  async acquire(run: string, now: number): Promise<{ ok: boolean; holder: string | null }> {
    return this.ctx.storage.transactionSync(() => {
      const lease = this.meta<{ run: string; until: number }>("lease");
      if (lease && lease.run !== run && lease.until > now) return { ok: false, holder: lease.run };
      this.setMeta("lease", { run, until: now + LEASE_MS });
      return { ok: true, holder: run };
    });
  }

  async release(run: string, summary: RunSummary): Promise<void> {
    this.ctx.storage.transactionSync(() => {
      if (this.meta<{ run: string }>("lease")?.run === run) this.sql.exec("DELETE FROM meta WHERE k = 'lease'");
      this.setMeta("last_run", summary);
    });
  }

  // --- deletions -----------------------------------------------------------------------------

  /** Records deletions found in the lake (idempotent); returns those not closed yet. */
  async register(found: { key: string; record: ErasureRecord }[], now: number): Promise<DeletionRow[]> {
    this.ctx.storage.transactionSync(() => {
      for (const f of found) {
        this.sql.exec("INSERT OR IGNORE INTO deletions (key, site, requested_at, record) VALUES (?, ?, ?, ?)", f.key, f.record.site, f.record.requested_at, JSON.stringify(f.record));
      }
      // Active long enough, and checked past the end of that: nothing more can arrive.
      for (const r of this.rows("SELECT * FROM deletions WHERE closed = 0 AND checked_through IS NOT NULL")) {
        const end = Date.parse(r.requested_at) + ACTIVE_MS;
        if ((r.checked_through ?? 0) >= end && now >= end) this.sql.exec("UPDATE deletions SET closed = 1 WHERE key = ?", r.key);
      }
    });
    return this.rows("SELECT * FROM deletions WHERE closed = 0 ORDER BY requested_at").map(toDeletion);
  }

  /** Keys of deletions already recorded (open or closed), to skip reading their records again. */
  async known(keys: string[]): Promise<string[]> {
    return keys.filter((k) => this.sql.exec("SELECT 1 FROM deletions WHERE key = ?", k).toArray().length > 0);
  }

  // --- scan ----------------------------------------------------------------------------------

  async scan(): Promise<Scan | null> {
    return this.meta<Scan>("scan");
  }

  /** Saves the cursor and extends the run's lease; a run that lost its lease (it took too long) is stopped here. */
  async saveScan(run: string, scan: Scan): Promise<void> {
    this.ctx.storage.transactionSync(() => {
      const lease = this.meta<{ run: string; until: number }>("lease");
      if (lease?.run !== run) throw new Error("purge lease lost: another run took over");
      this.setMeta("lease", { run, until: Date.now() + LEASE_MS });
      this.setMeta("scan", scan);
    });
  }

  /**
   * The scan went through every object: its deletions are checked up to its watermark, and
   * those applied for the first time are counted. Returns their keys.
   */
  async completeScan(scanId: string, now: number): Promise<string[]> {
    return this.ctx.storage.transactionSync(() => {
      const scan = this.meta<Scan>("scan");
      if (!scan || scan.id !== scanId) return [];
      const first: string[] = [];
      for (const key of scan.deletions) {
        const row = this.rows("SELECT * FROM deletions WHERE key = ?", key)[0];
        if (!row) continue;
        if (row.applied_at === null) first.push(key);
        this.sql.exec("UPDATE deletions SET checked_through = max(coalesce(checked_through, 0), ?), applied_at = coalesce(applied_at, ?) WHERE key = ?", scan.watermark, new Date(now).toISOString(), key);
      }
      this.sql.exec("DELETE FROM meta WHERE k = 'scan'");
      return first;
    });
  }

  // --- rewrites ------------------------------------------------------------------------------

  /** An object is about to be rewritten without these records (deletion key -> count). */
  async intend(object: string, removed: Record<string, number>, now: number): Promise<void> {
    this.sql.exec("INSERT INTO intents (object, removed, at) VALUES (?, ?, ?) ON CONFLICT(object) DO UPDATE SET removed = excluded.removed, at = excluded.at", object, JSON.stringify(removed), new Date(now).toISOString());
  }

  /** Objects whose rewrite was announced but not confirmed (a run died in between). */
  async intents(): Promise<string[]> {
    return this.sql.exec<{ object: string }>("SELECT object FROM intents").toArray().map((r) => r.object);
  }

  async intentOf(object: string): Promise<Record<string, number> | null> {
    const row = this.sql.exec<{ removed: string }>("SELECT removed FROM intents WHERE object = ?", object).toArray()[0];
    return row ? (JSON.parse(row.removed) as Record<string, number>) : null;
  }

  /** The rewrite is in R2: count it once per (deletion, object); returns what was newly counted. */
  async done(object: string, now: number): Promise<{ objects: number; events: number }> {
    return this.ctx.storage.transactionSync(() => {
      const row = this.sql.exec<{ removed: string }>("SELECT removed FROM intents WHERE object = ?", object).toArray()[0];
      if (!row) return { objects: 0, events: 0 };
      let events = 0;
      for (const [deletion, n] of Object.entries(JSON.parse(row.removed) as Record<string, number>)) {
        if (n <= 0) continue;
        const fresh = this.sql.exec("INSERT OR IGNORE INTO applied (deletion, object, removed, at) VALUES (?, ?, ?, ?)", deletion, object, n, new Date(now).toISOString()).rowsWritten > 0;
        if (!fresh) {
          // The same deletion met this object again (a line arrived late in it? objects are
          // immutable but for purges, so only an earlier partial count): add what is new.
          this.sql.exec("UPDATE applied SET removed = removed + ? WHERE deletion = ? AND object = ?", n, deletion, object);
        }
        this.sql.exec("UPDATE deletions SET objects_rewritten = objects_rewritten + ?, events_removed = events_removed + ? WHERE key = ?", fresh ? 1 : 0, n, deletion);
        events += n;
      }
      this.sql.exec("DELETE FROM intents WHERE object = ?", object);
      return { objects: 1, events };
    });
  }

  // --- reading -------------------------------------------------------------------------------

  /** What a deletion removed, object by object (for its purge record in the lake). */
  async report(key: string): Promise<{ deletion: DeletionRow; objects: { key: string; events_removed: number; at: string }[] } | null> {
    const row = this.rows("SELECT * FROM deletions WHERE key = ?", key)[0];
    if (!row) return null;
    const objects = this.sql.exec<{ object: string; removed: number; at: string }>("SELECT object, removed, at FROM applied WHERE deletion = ? ORDER BY object", key).toArray();
    return { deletion: toDeletion(row), objects: objects.map((o) => ({ key: o.object, events_removed: o.removed, at: o.at })) };
  }

  async status(site?: string): Promise<PurgeStatus> {
    const where = site ? "WHERE site = ?" : "";
    const args = site ? [site] : [];
    const all = this.rows(`SELECT * FROM deletions ${where}`, ...args);
    const pending = all.filter((r) => r.applied_at === null);
    const scan = this.meta<Scan>("scan");
    return {
      pending_deletions: pending.length,
      active_deletions: all.filter((r) => r.closed === 0).length,
      closed_deletions: all.filter((r) => r.closed === 1).length,
      oldest_pending_requested_at: pending.map((r) => r.requested_at).sort()[0] ?? null,
      scan: scan ? { id: scan.id, task: scan.task, tasks: scan.tasks.length, prefix: scan.tasks[scan.task]?.prefix ?? null, after: scan.after, started_at: scan.started_at } : null,
      last_run: this.meta<RunSummary>("last_run"),
      totals: {
        deletions_applied: all.filter((r) => r.applied_at !== null).length,
        objects_rewritten: all.reduce((a, r) => a + r.objects_rewritten, 0),
        events_removed: all.reduce((a, r) => a + r.events_removed, 0),
      },
    };
  }

  private rows(query: string, ...args: unknown[]): Row[] {
    return this.sql.exec<Row>(query, ...args).toArray();
  }

  private meta<T>(k: string): T | null {
    const row = this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", k).toArray()[0];
    return row ? (JSON.parse(row.v) as T) : null;
  }

  private setMeta(k: string, v: unknown): void {
    this.sql.exec("INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v", k, JSON.stringify(v));
  }
}

function toDeletion(r: Row): DeletionRow {
  return { key: r.key, site: r.site, requested_at: r.requested_at, record: JSON.parse(r.record) as ErasureRecord, checked_through: r.checked_through, applied_at: r.applied_at, objects_rewritten: r.objects_rewritten, events_removed: r.events_removed };
}
