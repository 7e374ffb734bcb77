/**
 * One object per (site, user): exact dedup by event id, the rolling profile, and a durable
 * buffer that is flushed to the Queue by size or by alarm. Called by RPC from the worker.
 *
 * Everything `ingest` writes happens synchronously on SQLite before the first await, so it
 * commits as one transaction and the worker's 202 means the events are on disk.
 */
import { DurableObject } from "cloudflare:workers";
import type { FlushChunk, StoredRecord } from "../schemas";
import { tuning, type Env, type Tuning } from "../worker/env";
import { fault, InjectedFault } from "../worker/faults";
import { backoffMs } from "./backoff";
import { MAX_BATCH_BYTES, MAX_BATCH_MESSAGES, MAX_MESSAGE_BYTES, splitBySize } from "./chunks";
import { applyEvent, emptyProfile, viewProfile, type Profile, type ProfileView } from "./profile";
import { afterFlush, noteDuplicates } from "./stats";

export interface IngestResult {
  accepted: number;
  duplicates: number;
  duplicate_ids: string[];
}

export interface FlushResult {
  sent: number;
  remaining: number;
  error?: string;
}

const PRUNE_EVERY_MS = 3_600_000;

export class UserProfile extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly cfg: Tuning;
  private profile: Profile | null | undefined;
  private flushAttempt: number;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.cfg = tuning(env);
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS seen_at ON seen(at);
      CREATE TABLE IF NOT EXISTS buffer (seq INTEGER PRIMARY KEY AUTOINCREMENT, chunk TEXT, bytes INTEGER NOT NULL, rec TEXT NOT NULL);
    `);
    this.flushAttempt = Number(this.meta("flush_attempt") ?? 0);
  }

  /** Dedup, profile, buffer: all or nothing, then make sure a flush is scheduled. */
  async ingest(site: string, id: string, records: StoredRecord[]): Promise<IngestResult> {
    const now = Date.now();
    // One SQLite transaction: on any throw, nothing of this beacon is kept, and the
    // in-memory profile is only replaced after the commit.
    const result = this.ctx.storage.transactionSync(() => {
      if (!this.meta("site")) {
        this.setMeta("site", site);
        this.setMeta("id", id);
      }
      const fresh: StoredRecord[] = [];
      const duplicate_ids: string[] = [];
      for (const r of records) {
        const ins = this.sql.exec("INSERT OR IGNORE INTO seen (id, at) VALUES (?, ?)", r.id, now);
        if (ins.rowsWritten === 0) {
          duplicate_ids.push(r.id);
          continue;
        }
        const json = JSON.stringify(r);
        this.sql.exec("INSERT INTO buffer (bytes, rec) VALUES (?, ?)", json.length, json);
        fresh.push(r);
      }
      let profile: Profile | null = null;
      if (fresh.length) {
        const current = this.loadProfile();
        profile = current ? structuredClone(current) : emptyProfile(site, id);
        // Event-time order keeps "latest" fields right when a batch arrives out of order.
        fresh.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
        for (const r of fresh) applyEvent(profile, r, this.cfg.halfLifeMs);
        this.setMeta("profile", JSON.stringify(profile));
      }
      noteDuplicates(this.sql, duplicate_ids.length, now);
      return { accepted: fresh.length, duplicates: duplicate_ids.length, duplicate_ids, profile };
    });
    if (result.profile) this.profile = result.profile;
    // Duplicates alone also need a flush: it reports their count (stats.ts).
    if (result.profile || result.duplicates) await this.scheduleFlush();
    return { accepted: result.accepted, duplicates: result.duplicates, duplicate_ids: result.duplicate_ids };
  }

  async getProfile(): Promise<ProfileView | null> {
    const p = this.loadProfile();
    return p ? viewProfile(p, Date.now(), this.cfg.halfLifeMs) : null;
  }

  /** Buffered (not yet queued) events: count and oldest sequence, for tests and operators. */
  async bufferState(): Promise<{ buffered: number; flush_attempt: number; alarm: number | null }> {
    const row = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM buffer").one();
    return { buffered: row.n, flush_attempt: this.flushAttempt, alarm: await this.ctx.storage.getAlarm() };
  }

  override async alarm(): Promise<void> {
    await this.flush();
  }

  /**
   * Sends the buffer to the Queue. Rows are first bound to chunk ids (durably), so a chunk
   * that is re-sent after a crash carries the same id and the same records.
   */
  async flush(): Promise<FlushResult> {
    const startedMs = Date.now();
    const site = this.meta("site");
    this.assignChunks();
    const chunks = this.pendingChunks(site ?? "unknown");
    let sent = 0;
    for (const group of splitBySize(chunks, MAX_BATCH_BYTES, MAX_BATCH_MESSAGES)) {
      try {
        if (fault(this.env, "queue_send")) throw new InjectedFault("queue_send");
        await this.env.EVENTS.sendBatch(group.map((c) => ({ body: c.body, contentType: "json" as const })));
      } catch (e) {
        this.flushAttempt += 1;
        this.setMeta("flush_attempt", String(this.flushAttempt));
        const delay = backoffMs(this.flushAttempt, 1000, 5 * 60_000);
        await this.ctx.storage.setAlarm(Date.now() + delay);
        const error = (e as Error).message;
        console.log(JSON.stringify({ msg: "flush failed", attempt: this.flushAttempt, retry_in_ms: delay, error }));
        return { sent, remaining: this.buffered(), error };
      }
      // A crash here (sent, not yet deleted) makes the alarm re-send the same chunks later.
      if (fault(this.env, "flush_crash_after_send")) throw new InjectedFault("flush_crash_after_send");
      for (const c of group) this.sql.exec("DELETE FROM buffer WHERE chunk = ?", c.body.chunk);
      sent += group.reduce((n, c) => n + c.body.records.length, 0);
    }
    if (this.flushAttempt !== 0) {
      this.flushAttempt = 0;
      this.setMeta("flush_attempt", "0");
    }
    this.pruneSeen();
    const remaining = this.buffered();
    if (remaining > 0) await this.scheduleFlush();
    await afterFlush(this.sql, this.env, site ?? "unknown", this.ctx.id.toString(), { sent, remaining, startedMs });
    return { sent, remaining };
  }

  // --- internals ---------------------------------------------------------------------------

  private async scheduleFlush(): Promise<void> {
    const now = Date.now();
    const current = await this.ctx.storage.getAlarm();
    if (this.flushAttempt > 0 && current !== null) return; // backing off: keep the retry time
    if (this.buffered() >= this.cfg.flushMaxEvents) {
      if (current === null || current > now) await this.ctx.storage.setAlarm(now);
    } else if (current === null) {
      await this.ctx.storage.setAlarm(now + this.cfg.flushIntervalMs);
    }
  }

  private assignChunks(): void {
    const rows = this.sql.exec<{ seq: number; bytes: number }>("SELECT seq, bytes FROM buffer WHERE chunk IS NULL ORDER BY seq").toArray();
    // A generation that is new whenever storage starts empty (first use, or after erasure),
    // so chunk ids are never reused even though seq restarts.
    let gen = this.meta("generation");
    if (!gen) this.setMeta("generation", (gen = crypto.randomUUID().slice(0, 8)));
    const prefix = `${this.ctx.id.toString().slice(0, 16)}-${gen}`;
    for (const run of splitBySize(rows, MAX_MESSAGE_BYTES)) {
      const chunk = `${prefix}-${run[0]!.seq}`;
      this.sql.exec("UPDATE buffer SET chunk = ? WHERE seq BETWEEN ? AND ? AND chunk IS NULL", chunk, run[0]!.seq, run[run.length - 1]!.seq);
    }
  }

  private pendingChunks(site: string): { bytes: number; body: FlushChunk }[] {
    const byChunk = new Map<string, { bytes: number; body: FlushChunk }>();
    for (const row of this.sql.exec<{ chunk: string; bytes: number; rec: string }>("SELECT chunk, bytes, rec FROM buffer WHERE chunk IS NOT NULL ORDER BY seq")) {
      let c = byChunk.get(row.chunk);
      if (!c) byChunk.set(row.chunk, (c = { bytes: 64, body: { v: 1, chunk: row.chunk, site, records: [] } }));
      c.bytes += row.bytes + 1;
      c.body.records.push(JSON.parse(row.rec) as StoredRecord);
    }
    return [...byChunk.values()];
  }

  private buffered(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM buffer").one().n;
  }

  private pruneSeen(): void {
    const now = Date.now();
    const last = Number(this.meta("pruned_at") ?? 0);
    if (now - last < PRUNE_EVERY_MS) return;
    this.sql.exec("DELETE FROM seen WHERE at < ?", now - this.cfg.dedupTtlMs);
    this.setMeta("pruned_at", String(now));
  }

  private loadProfile(): Profile | null {
    if (this.profile === undefined) {
      const v = this.meta("profile");
      this.profile = v ? (JSON.parse(v) as Profile) : null;
    }
    return this.profile;
  }

  private meta(k: string): string | null {
    const rows = this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", k).toArray();
    return rows[0]?.v ?? null;
  }

  private setMeta(k: string, v: string): void {
    this.sql.exec("INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v", k, v);
  }
}
