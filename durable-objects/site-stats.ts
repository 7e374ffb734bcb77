/**
 * The collector's own metrics window: one object per (site, UTC hour) holding that hour's
 * per-minute rows (merged counters and sketches, see worker/metrics/) and a short ring of the
 * latest stored events for the live tail. Writers send one RPC per batch (an isolate's few
 * seconds, a consumer batch), never one per request. Each object deletes itself RETENTION_MS
 * after its hour ends, so the window is bounded to a little over a day.
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
      CREATE TABLE IF NOT EXISTS tail (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, entry TEXT NOT NULL);
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
      for (const e of tail) this.sql.exec("INSERT INTO tail (at, entry) VALUES (?, ?)", now, JSON.stringify(e));
      if (tail.length) this.sql.exec("DELETE FROM tail WHERE seq <= (SELECT max(seq) FROM tail) - ?", TAIL_MAX);
    });
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(alarmTime((hour + 1) * 3_600_000 + RETENTION_MS, now));
  }

  async rows(): Promise<Record<string, Tree>> {
    const out: Record<string, Tree> = {};
    for (const r of this.sql.exec<{ minute: number; row: string }>("SELECT minute, row FROM minutes")) out[String(r.minute)] = JSON.parse(r.row) as Tree;
    return out;
  }

  /** Tail entries stored after `afterAt` (ms), oldest first, at most `limit`. */
  async latest(afterAt = 0, limit = 50): Promise<{ at: number; seq: number; entry: TailEntry }[]> {
    const rows = this.sql.exec<{ seq: number; at: number; entry: string }>("SELECT seq, at, entry FROM tail WHERE at > ? ORDER BY seq DESC LIMIT ?", afterAt, limit).toArray();
    return rows.reverse().map((r) => ({ at: r.at, seq: r.seq, entry: JSON.parse(r.entry) as TailEntry }));
  }

  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
    this.createTables(); // the instance may live on and be written again
  }
}
