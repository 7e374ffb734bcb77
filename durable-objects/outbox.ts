/**
 * The user object's outbox: accepted records wait in the `buffer` table until the Queue took
 * them. One row per beacon (a JSON array, split under the queue's message size), not one per
 * event, because SQLite is billed by rows written. A flush first binds unsent rows to chunk
 * ids (durably), so a chunk re-sent after a crash or a failed answer carries the same id and
 * the same records; rows are deleted only after the queue accepted them. A failed send keeps
 * them and retries with exponential backoff (backoff.ts).
 */
import type { FlushChunk, LakeMessage, StoredRecord } from "../schemas";
import { backoffMs } from "./backoff";
import { MAX_BATCH_BYTES, MAX_BATCH_MESSAGES, MAX_MESSAGE_BYTES, splitBySize } from "./chunks";
import { afterFlush, noteDuplicates, pendingStats } from "./flush-stats";
import { log } from "./lib/log";
import type { Schedule } from "./schedule";
import type { Tuning } from "./tuning";
import type { UserStore } from "./user-store";

/** A chunk ready to send: its Queue message body and its size in bytes. */
export interface PendingChunk {
  bytes: number;
  body: FlushChunk;
}

export interface FlushResult {
  sent: number;
  remaining: number;
  error?: string;
}

const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 5 * 60_000;

export class Outbox {
  /** Records of the running transaction, written as rows by commitStaged() before it ends. */
  private staged: { json: string; bytes: number }[] = [];
  private attempt: number;

  constructor(
    private readonly sql: SqlStorage,
    private readonly store: UserStore,
    private readonly schedule: Schedule,
    private readonly cfg: Pick<Tuning, "flushMaxEvents" | "flushIntervalMs">,
    private readonly queue: Queue<LakeMessage>,
    private readonly objectId: string,
  ) {
    sql.exec("CREATE TABLE IF NOT EXISTS buffer (seq INTEGER PRIMARY KEY, chunk TEXT, n INTEGER NOT NULL, bytes INTEGER NOT NULL, rec TEXT NOT NULL)");
    this.attempt = Number(store.meta("flush_attempt") ?? 0);
  }

  get flushAttempt(): number {
    return this.attempt;
  }

  // --- inside a transaction -----------------------------------------------------------------

  stage(r: StoredRecord): void {
    const json = JSON.stringify(r);
    this.staged.push({ json, bytes: json.length + 1 });
  }

  /** Nothing staged by a rolled-back transaction may leak into the next one. */
  discardStaged(): void {
    this.staged = [];
  }

  commitStaged(): void {
    const staged = this.staged;
    this.staged = [];
    for (const run of splitBySize(staged, MAX_MESSAGE_BYTES - 1024)) {
      this.sql.exec("INSERT INTO buffer (n, bytes, rec) VALUES (?, ?, ?)", run.length, run.reduce((a, x) => a + x.bytes, 0), `[${run.map((x) => x.json).join(",")}]`);
    }
  }

  /** Duplicates are counted where they are dropped, and reported with the next flush. */
  noteDuplicates(n: number, now: number): void {
    noteDuplicates(this.sql, n, now);
    if (n > 0) this.planFlush(now);
  }

  /** The first buffered event sets the flush timer; reaching FLUSH_MAX_EVENTS pulls it to now. */
  planFlush(now: number): void {
    const current = this.schedule.due("flush");
    if (this.attempt > 0 && current !== undefined) return; // backing off: keep the retry time
    if (this.buffered() >= this.cfg.flushMaxEvents) this.schedule.set("flush", now);
    else if (current === undefined) this.schedule.set("flush", now + this.cfg.flushIntervalMs);
  }

  buffered(): number {
    return this.sql.exec<{ n: number }>("SELECT coalesce(sum(n), 0) AS n FROM buffer").one().n;
  }

  /** Anything to send: records, or duplicate counts for the metrics. */
  hasWork(): boolean {
    return this.buffered() > 0 || Object.keys(pendingStats(this.sql)).length > 0;
  }

  records(): StoredRecord[] {
    return this.sql.exec<{ rec: string }>("SELECT rec FROM buffer ORDER BY seq").toArray().flatMap((r) => JSON.parse(r.rec) as StoredRecord[]);
  }

  /** Erasure: the buffer goes; returns how many records were dropped. */
  clear(): number {
    const n = this.buffered();
    this.sql.exec("DELETE FROM buffer");
    this.attempt = 0;
    return n;
  }

  // --- the flush (from the alarm) -----------------------------------------------------------

  /** `decorate` may add to each chunk's body (and bytes) before sending: site-wide item statistics. */
  async flush(site: string, decorate: (chunks: PendingChunk[]) => PendingChunk[] = (c) => c): Promise<FlushResult> {
    const startedMs = Date.now();
    this.assignChunks();
    let sent = 0;
    for (const group of splitBySize(decorate(this.pendingChunks(site)), MAX_BATCH_BYTES, MAX_BATCH_MESSAGES)) {
      try {
        await this.queue.sendBatch(group.map((c) => ({ body: c.body, contentType: "json" as const })));
      } catch (e) {
        return this.retryLater(sent, (e as Error).message);
      }
      // A crash here (sent, not yet deleted) makes the alarm re-send the same chunks later.
      for (const c of group) this.sql.exec("DELETE FROM buffer WHERE chunk = ?", c.body.chunk);
      sent += group.reduce((n, c) => n + c.body.records.length, 0);
    }
    if (this.attempt !== 0) this.setAttempt(0);
    this.schedule.clear("flush");
    const remaining = this.buffered();
    if (remaining > 0) this.planFlush(Date.now());
    await this.schedule.arm();
    await afterFlush(this.sql, this.queue, site, this.objectId, { sent, remaining, startedMs });
    return { sent, remaining };
  }

  private async retryLater(sent: number, error: string): Promise<FlushResult> {
    this.setAttempt(this.attempt + 1);
    const delay = backoffMs(this.attempt, RETRY_BASE_MS, RETRY_MAX_MS);
    this.schedule.set("flush", Date.now() + delay);
    await this.schedule.arm();
    log("flush failed", { attempt: this.attempt, retry_in_ms: delay, error });
    return { sent, remaining: this.buffered(), error };
  }

  private setAttempt(n: number): void {
    this.attempt = n;
    this.store.setMeta("flush_attempt", String(n));
  }

  private assignChunks(): void {
    const rows = this.sql.exec<{ seq: number; bytes: number }>("SELECT seq, bytes FROM buffer WHERE chunk IS NULL ORDER BY seq").toArray();
    if (rows.length === 0) return;
    // A generation that is new whenever storage starts empty (first use, or after erasure),
    // so chunk ids are never reused even though seq restarts.
    let gen = this.store.meta("generation");
    if (!gen) this.store.setMeta("generation", (gen = crypto.randomUUID().slice(0, 8)));
    const prefix = `${this.objectId.slice(0, 16)}-${gen}`;
    for (const run of splitBySize(rows, MAX_MESSAGE_BYTES)) {
      // seq restarts when the buffer empties (no AUTOINCREMENT: it costs a row write per
      // insert), so the id gets its own randomness; it is stored, so re-sends keep it.
      const chunk = `${prefix}-${crypto.randomUUID().slice(0, 13)}`;
      this.sql.exec("UPDATE buffer SET chunk = ? WHERE seq BETWEEN ? AND ? AND chunk IS NULL", chunk, run[0]!.seq, run[run.length - 1]!.seq);
    }
  }

  private pendingChunks(site: string): PendingChunk[] {
    const byChunk = new Map<string, { bytes: number; body: FlushChunk }>();
    for (const row of this.sql.exec<{ chunk: string; bytes: number; rec: string }>("SELECT chunk, bytes, rec FROM buffer WHERE chunk IS NOT NULL ORDER BY seq")) {
      let c = byChunk.get(row.chunk);
      if (!c) byChunk.set(row.chunk, (c = { bytes: 64, body: { v: 1, chunk: row.chunk, site, records: [] } }));
      c.bytes += row.bytes + 1;
      c.body.records.push(...(JSON.parse(row.rec) as StoredRecord[]));
    }
    return [...byChunk.values()];
  }
}
