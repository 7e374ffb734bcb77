/**
 * The user object's outbox: accepted records wait in chunks, in the state row (state-row.ts),
 * until the Queue took them. A chunk's id is fixed when it is made and its records are fixed
 * once it is closed: records join only the open chunk, which closes when a flush takes it (or
 * when the object restarts: chunks read from disk are never reopened). So a chunk re-sent
 * after a crash, or after an answer that failed, carries the same id and the same records, and
 * the lake ledger writes it once.
 *
 * When: the first records after a quiet interval are sent at once, after the transaction that
 * took them (the answer does not wait for the queue), with a flush timer SAFETY_MS later in
 * case the object stops first (a session's end would send them too, but only after 30 min by
 * default). Records that arrive within FLUSH_INTERVAL_MS of the last flush wait for its end
 * (a timer), or go at FLUSH_MAX_EVENTS. A failed send keeps the chunks and
 * retries with exponential backoff (backoff.ts).
 *
 * Rows: a sent chunk leaves the state row with the next write that happens anyway (a later
 * beacon, a timer): an active visitor's next beacon comes about one flush interval later. Only
 * if none came within dropGraceMs() is the row written for it alone. If the object stops before
 * either, its next lifetime sends the chunk again under its id and the ledger skips it. Chunks
 * beyond INLINE_MAX_BYTES (a long queue outage) move to `buffer` rows: the state row stays small.
 */
import type { FlushChunk, LakeMessage, StoredRecord } from "../schemas";
import { backoffMs } from "./backoff";
import { MAX_BATCH_BYTES, MAX_BATCH_MESSAGES, MAX_MESSAGE_BYTES, splitBySize } from "./chunks";
import { afterFlush, noteDuplicates, pendingStats } from "./flush-stats";
import { log } from "./lib/log";
import type { Schedule } from "./schedule";
import type { Chunk, StateRow } from "./state-row";
import type { Tuning } from "./tuning";

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
const CHUNK_MAX_BYTES = MAX_MESSAGE_BYTES - 1024;
const INLINE_MAX_BYTES = 256 * 1024;
/** How long after a transaction its chunks are sent by the alarm if the object stopped before it sent them. */
export const SAFETY_MS = 30_000;
/**
 * How long a sent chunk waits in the row for a write that happens anyway before one is made for
 * it alone: 1.6 flush intervals (8 s by default), so that an active visitor's next beacon (the
 * snippet flushes every 5 s) carries the drop; at most 8 s, under the 10 s after which workerd
 * lets an idle object go (Cloudflare: a minute or more), which would cost a second send.
 */
export const dropGraceMs = (flushIntervalMs: number): number => Math.min(8_000, Math.max(1_000, Math.round(1.6 * flushIntervalMs)));
const BUFFER_DDL = "CREATE TABLE IF NOT EXISTS buffer (seq INTEGER PRIMARY KEY, chunk TEXT NOT NULL, n INTEGER NOT NULL, bytes INTEGER NOT NULL, rec TEXT NOT NULL)";

type Pending = Chunk & { spilled?: boolean };

export class Outbox {
  /** Records of the running transaction, added to chunks by commitStaged() before it ends. */
  private staged: StoredRecord[] = [];
  /** The chunk new records may join (made in this lifetime, not handed to the queue yet). */
  private open: string | null = null;
  /** Chunks the queue took that are still in the row (until its next write). */
  private readonly sent = new Set<string>();
  private inflight: Promise<FlushResult> | null = null;
  private lastFlushAt = 0;
  /** The write that drops sent chunks if no other write came first (dropGraceMs). */
  private dropTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly state: StateRow,
    private readonly schedule: Schedule,
    private readonly cfg: Pick<Tuning, "flushMaxEvents" | "flushIntervalMs">,
    private readonly queue: Queue<LakeMessage>,
    private readonly objectId: string,
  ) {}

  get flushAttempt(): number {
    return this.state.get().attempt;
  }

  // --- inside a transaction -----------------------------------------------------------------

  stage(r: StoredRecord): void {
    this.staged.push(r);
  }

  /** Nothing staged by a rolled-back transaction may leak into the next one. */
  discardStaged(): void {
    this.staged = [];
  }

  /** Chunks the queue took that the row on disk still holds. */
  sentInRow(): boolean {
    return this.sent.size > 0 && this.state.get().outbox.some((c) => this.sent.has(c.id));
  }

  /** Inside a transaction: chunks the queue took leave the row (it is written anyway, or now). */
  dropSent(): void {
    const doc = this.state.get();
    if (!this.sentInRow()) return;
    doc.outbox = doc.outbox.filter((c) => !this.sent.has(c.id));
    this.state.touch();
    this.sent.clear();
  }

  /** Staged records join the open chunk or start new ones (split under the message size). */
  commitStaged(): void {
    const doc = this.state.get();
    if (this.sent.size) doc.outbox = doc.outbox.filter((c) => !this.sent.has(c.id));
    if (this.sent.size > 1000) this.sent.clear();
    const staged = this.staged;
    this.staged = [];
    if (!staged.length) return;
    let c = doc.outbox.find((x) => x.id === this.open);
    let json = c ? this.state.recordsJson(c) : "";
    for (const r of staged) {
      const j = JSON.stringify(r);
      if (!c || c.bytes + j.length + 1 > CHUNK_MAX_BYTES) {
        if (c) this.state.setRecordsJson(c, json);
        c = { id: `${this.objectId.slice(0, 16)}-${doc.gen}-${doc.seq++}`, n: 0, bytes: 64, records: [] };
        doc.outbox.push(c);
        this.open = c.id;
        json = "";
      }
      c.records.push(r);
      c.n += 1;
      c.bytes += j.length + 1;
      json = json ? `${json.slice(0, -1)},${j}]` : `[${j}]`;
    }
    this.state.setRecordsJson(c!, json);
    this.state.touch();
    this.spill();
  }

  /** A long outage must not grow the state row: the oldest closed chunks move to rows of their own. */
  private spill(): void {
    const doc = this.state.get();
    let bytes = doc.outbox.reduce((a, c) => a + c.bytes, 0);
    while (bytes > INLINE_MAX_BYTES && doc.outbox.length > 1 && doc.outbox[0]!.id !== this.open) {
      const c = doc.outbox.shift()!;
      bytes -= c.bytes;
      if (this.sent.has(c.id)) continue;
      this.state.ensureTable("buffer", BUFFER_DDL);
      this.state.sql.exec("INSERT INTO buffer (chunk, n, bytes, rec) VALUES (?, ?, ?, ?)", c.id, c.n, c.bytes, this.state.recordsJson(c));
    }
  }

  /** Duplicates are counted where they are dropped, and reported with the next flush. */
  noteDuplicates(n: number, now: number): void {
    noteDuplicates(this.state, n, now);
    if (n > 0 && this.schedule.due("flush") === undefined) this.schedule.set("flush", now + this.cfg.flushIntervalMs);
  }

  /**
   * After records were committed: "now" when they should go at once (after the transaction),
   * else a flush timer: the end of the current interval, or now at FLUSH_MAX_EVENTS.
   */
  planFlush(now: number): "now" | "later" | "none" {
    const n = this.buffered();
    if (n === 0) return "none";
    const retry = this.schedule.due("flush");
    if (this.state.get().attempt > 0 && retry !== undefined) return "later"; // backing off: keep the retry time
    const full = n >= this.cfg.flushMaxEvents;
    if (!this.inflight && (full || now - this.lastFlushAt >= this.cfg.flushIntervalMs)) {
      // Sent right after this transaction; should the object stop before the queue took it, the
      // alarm sends it then. In the same row write, and the alarm rarely has to move for it:
      // it is usually set already (a session's end), and the timer leaves memory once sent.
      const safety = now + Math.max(SAFETY_MS, this.cfg.flushIntervalMs);
      if (retry === undefined || retry > safety) this.schedule.set("flush", safety);
      return "now";
    }
    const at = full ? now : Math.max(now, this.lastFlushAt + this.cfg.flushIntervalMs);
    if (retry === undefined || retry > at) this.schedule.set("flush", at);
    return "later";
  }

  private pending(): Pending[] {
    const out: Pending[] = [];
    if (this.state.hasTable("buffer")) {
      for (const r of this.state.sql.exec<{ chunk: string; n: number; bytes: number; rec: string }>("SELECT chunk, n, bytes, rec FROM buffer ORDER BY seq")) {
        if (!this.sent.has(r.chunk)) out.push({ id: r.chunk, n: r.n, bytes: r.bytes, records: JSON.parse(r.rec) as StoredRecord[], spilled: true });
      }
    }
    for (const c of this.state.get().outbox) if (!this.sent.has(c.id)) out.push(c);
    return out;
  }

  buffered(): number {
    let n = 0;
    for (const c of this.state.get().outbox) if (!this.sent.has(c.id)) n += c.n;
    if (this.state.hasTable("buffer")) n += this.state.sql.exec<{ n: number }>("SELECT coalesce(sum(n), 0) AS n FROM buffer").one().n;
    return n;
  }

  /** Anything to send: records, or duplicate counts for the metrics. */
  hasWork(): boolean {
    return this.buffered() > 0 || Object.keys(pendingStats(this.state)).length > 0;
  }

  get flushing(): boolean {
    return this.inflight !== null;
  }

  records(): StoredRecord[] {
    return this.pending().flatMap((c) => c.records);
  }

  /** Erasure: the buffer goes; returns how many records were dropped. */
  clear(): number {
    const n = this.buffered();
    const doc = this.state.get();
    doc.outbox = [];
    doc.attempt = 0;
    this.state.dropTable("buffer");
    this.state.touch();
    this.open = null;
    this.sent.clear();
    return n;
  }

  /** After a rollback: what memory held may not be on disk. */
  forget(): void {
    this.staged = [];
  }

  // --- the flush (after an ingest, or from the alarm) ----------------------------------------

  /**
   * One flush at a time; a call during one waits for it, then sends what is left. `decorate`
   * may add to each chunk's body (and bytes) before sending: site-wide item statistics.
   */
  flush(site: string, decorate: (chunks: PendingChunk[]) => PendingChunk[] = (c) => c): Promise<FlushResult> {
    const run = (this.inflight ?? Promise.resolve()).catch(() => {}).then(() => this.flushOnce(site, decorate));
    this.inflight = run;
    void run.finally(() => {
      if (this.inflight === run) this.inflight = null;
    }).catch(() => {});
    return run;
  }

  private async flushOnce(site: string, decorate: (chunks: PendingChunk[]) => PendingChunk[]): Promise<FlushResult> {
    const startedMs = Date.now();
    // From here on the chunks are fixed: what arrives now starts a new chunk.
    this.open = null;
    this.lastFlushAt = startedMs;
    const pending = this.pending();
    let sent = 0;
    const bodies = decorate(pending.map((c) => ({ bytes: c.bytes, body: { v: 1, chunk: c.id, site, records: c.records } satisfies FlushChunk })));
    for (const group of splitBySize(bodies, MAX_BATCH_BYTES, MAX_BATCH_MESSAGES)) {
      try {
        await this.queue.sendBatch(group.map((c) => ({ body: c.body, contentType: "json" as const })));
      } catch (e) {
        return this.retryLater(sent, (e as Error).message);
      }
      // A crash before the row's next write makes the object send these again, same ids.
      // A chunk may have moved to a buffer row while it was on its way (spill): delete it there too.
      const rows = this.state.hasTable("buffer");
      for (const { body } of group) {
        this.sent.add(body.chunk);
        if (rows) this.state.sql.exec("DELETE FROM buffer WHERE chunk = ?", body.chunk);
      }
      sent += group.reduce((n, c) => n + c.body.records.length, 0);
    }
    const doc = this.state.get();
    if (doc.attempt !== 0) {
      doc.attempt = 0;
      this.state.touch();
    }
    const remaining = this.buffered();
    if (remaining === 0) this.schedule.clear("flush");
    await afterFlush(this.state, this.queue, site, this.objectId, { sent, remaining, startedMs });
    // What the queue took leaves the row with its next write. Only memory knows a chunk was
    // sent, and an idle object leaves memory: left in the row, the chunk would be sent again by
    // the next lifetime. So if no write comes within the grace, one is made for it alone.
    if (this.sentInRow()) this.dropLater();
    return { sent, remaining };
  }

  private dropLater(): void {
    if (this.dropTimer) return;
    this.dropTimer = setTimeout(() => {
      this.dropTimer = null;
      if (this.inflight || !this.sentInRow()) return; // a flush under way writes or re-arms it
      try {
        this.dropSent();
        this.state.save();
      } catch (e) {
        this.state.forget(); // read the row again; the chunk may be sent once more, the ledger skips it
        log("dropping sent chunks failed", { error: (e as Error).message });
      }
    }, dropGraceMs(this.cfg.flushIntervalMs));
  }

  /** The retry time must survive a restart: the row is written now (one row) and the alarm set. */
  private async retryLater(sent: number, error: string): Promise<FlushResult> {
    const doc = this.state.get();
    doc.attempt += 1;
    const delay = backoffMs(doc.attempt, RETRY_BASE_MS, RETRY_MAX_MS);
    this.schedule.set("flush", Date.now() + delay);
    this.dropSent(); // chunks an earlier group of this flush sent leave with this write
    this.state.touch();
    this.state.save();
    await this.schedule.arm();
    log("flush failed", { attempt: doc.attempt, retry_in_ms: delay, error });
    return { sent, remaining: this.buffered(), error };
  }
}
