/**
 * The collector's own metrics window: one object per (site, UTC hour) holding that hour's
 * per-minute rows (merged counters and sketches, see worker/metrics/) and a short ring of the
 * latest stored events for the live tail. Writers send one RPC per batch (an isolate's few
 * seconds, a consumer batch), never one per request. Each object deletes itself RETENTION_MS
 * after its hour ends, so the window is bounded to a little over a day.
 *
 * Rows (SQLite is billed by rows written): one per minute touched, and the tail as one row per
 * `add` holding its entries, the oldest rows deleted once TAIL_MAX entries are newer.
 */
import { DurableObject } from "cloudflare:workers";
import { alarmTime } from "../schemas";
import { mergeInto, type Tree } from "./lib/metric-tree";

/** Kept 26 h after the hour ends: a 24 h window always finds all its minutes. */
export const RETENTION_MS = 26 * 3_600_000;
export const TAIL_MAX = 200;

/** One line of the live tail: who did what, where; no payload beyond the type. */
export interface TailEntry {
  id: string;
  type: string;
  received_at: string;
  user: string;
  path: string | null;
  country: string | null;
  device: string | null;
  bot: boolean;
}

export class SiteStats extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.createTables();
  }

  private createTables(): void {
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS minutes (minute INTEGER PRIMARY KEY, row TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS tail_rows (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, n INTEGER NOT NULL, entries TEXT NOT NULL);
    `);
  }

  /** Merges rows (epoch minute -> counters) and appends tail entries; arms the expiry alarm. */
  async add(hour: number, rows: Record<string, Tree>, tail: TailEntry[] = []): Promise<void> {
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      for (const [minute, row] of Object.entries(rows)) {
        const cur = this.sql.exec<{ row: string }>("SELECT row FROM minutes WHERE minute = ?", Number(minute)).toArray()[0];
        const merged = mergeInto(cur ? (JSON.parse(cur.row) as Tree) : {}, row);
        this.sql.exec("INSERT INTO minutes (minute, row) VALUES (?, ?) ON CONFLICT(minute) DO UPDATE SET row = excluded.row", Number(minute), JSON.stringify(merged));
      }
      if (tail.length) this.appendTail(now, tail.slice(-TAIL_MAX));
    });
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(alarmTime((hour + 1) * 3_600_000 + RETENTION_MS, now));
  }

  async rows(): Promise<Record<string, Tree>> {
    const out: Record<string, Tree> = {};
    for (const r of this.sql.exec<{ minute: number; row: string }>("SELECT minute, row FROM minutes")) out[String(r.minute)] = JSON.parse(r.row) as Tree;
    return out;
  }

  private appendTail(now: number, entries: TailEntry[]): void {
    this.sql.exec("INSERT INTO tail_rows (at, n, entries) VALUES (?, ?, ?)", now, entries.length, JSON.stringify(entries));
    // Keep the newest rows that hold TAIL_MAX entries; older ones go.
    let kept = 0;
    for (const r of this.sql.exec<{ seq: number; n: number }>("SELECT seq, n FROM tail_rows ORDER BY seq DESC")) {
      if (kept >= TAIL_MAX) {
        this.sql.exec("DELETE FROM tail_rows WHERE seq <= ?", r.seq);
        break;
      }
      kept += r.n;
    }
  }

  /** Tail entries stored after `afterAt` (ms), oldest first, at most `limit` (seq orders entries). */
  async latest(afterAt = 0, limit = 50): Promise<{ at: number; seq: number; entry: TailEntry }[]> {
    const out: { at: number; seq: number; entry: TailEntry }[] = [];
    for (const r of this.sql.exec<{ seq: number; at: number; entries: string }>("SELECT seq, at, entries FROM tail_rows WHERE at > ? ORDER BY seq DESC", afterAt)) {
      const entries = JSON.parse(r.entries) as TailEntry[];
      for (let i = entries.length - 1; i >= 0 && out.length < Math.min(limit, TAIL_MAX); i--) out.push({ at: r.at, seq: r.seq * 1000 + i, entry: entries[i]! });
      if (out.length >= Math.min(limit, TAIL_MAX)) break;
    }
    return out.reverse();
  }

  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
    this.createTables(); // the instance may live on and be written again
  }
}
