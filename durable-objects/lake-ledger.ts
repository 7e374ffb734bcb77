/**
 * The lake's ledger: which flush chunks are already in R2, one object per lake partition
 * (site, day, hour). The queue is at-least-once and user objects re-send a chunk whose sending
 * they could not record; the ledger turns both into exactly-once objects in the lake.
 *
 * A consumer `claim`s the chunks of a partition group before writing. Each chunk is then
 *   write  — new, or a previous claim whose object never appeared and whose lease ran out;
 *   skip   — already written (committed, or its claimed object exists in R2);
 *   busy   — claimed moments ago by another consumer run that may still be writing.
 * After the put: `commit` (or `release` when the put failed).
 *
 * Rows: one per claim (the R2 key it will write and its chunk ids as a JSON list), written
 * again once by the commit: two rows per consumer batch and partition, however many chunks it
 * holds (SQLite is billed by rows written). Which claim holds a chunk is answered from memory,
 * built from the rows once per object lifetime; later claims of a chunk take precedence.
 */
import { DurableObject } from "cloudflare:workers";

export const CLAIM_LEASE_MS = 2 * 60_000;
/** Queue messages live at most 4 days; user objects can hold chunks longer through an outage. */
export const LEDGER_RETENTION_MS = 14 * 24 * 3_600_000;

export interface ClaimResult {
  key: string;
  write: string[];
  skip: string[];
  busy: string[];
}

type Claim = { key: string; claimed_at: number; written: number };
/** What the ledger knows of one chunk: the claim that holds it. */
export type Row = { part: string; key: string; claimed_at: number; written: number };

export class LakeLedger extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private claims: Map<string, Claim> | undefined;
  private byChunk = new Map<string, string>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.createTable();
  }

  private createTable(): void {
    this.sql.exec("CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, chunks TEXT NOT NULL, claimed_at INTEGER NOT NULL, written INTEGER NOT NULL) WITHOUT ROWID");
  }

  /** `key` is the object the caller will write the `write` parts to. */
  async claim(parts: string[], key: string, now = Date.now()): Promise<ClaimResult> {
    // Look in R2 for objects of earlier, unconfirmed claims (outside any transaction).
    const pending = new Map<string, string>();
    for (const p of parts) {
      const c = this.holder(p);
      if (c && !c.written && c.key !== key) pending.set(p, c.key);
    }
    const exists = new Map<string, boolean>();
    await Promise.all([...new Set(pending.values())].map(async (k) => exists.set(k, (await this.env.LAKE.head(k)) !== null)));

    // Decide and record atomically; the holders are read again in case another claim ran meanwhile.
    const out: ClaimResult = { key, write: [], skip: [], busy: [] };
    try {
      this.ctx.storage.transactionSync(() => {
        const mine: string[] = [];
        for (const p of new Set(parts)) {
          const c = this.holder(p);
          if (!c) {
            mine.push(p);
          } else if (c.written) {
            out.skip.push(p);
          } else if (c.key === key) {
            out.write.push(p); // the same run retrying its own claim
          } else if (pending.get(p) === c.key && exists.get(c.key)) {
            this.sql.exec("UPDATE claims SET written = 1 WHERE key = ?", c.key);
            c.written = 1;
            out.skip.push(p);
          } else if (now - c.claimed_at < CLAIM_LEASE_MS || pending.get(p) !== c.key) {
            out.busy.push(p);
          } else {
            mine.push(p);
          }
        }
        if (!mine.length) return;
        const own = this.claims!.get(key);
        const all = own ? [...this.chunksOf(key), ...mine] : mine;
        this.sql.exec("INSERT INTO claims (key, chunks, claimed_at, written) VALUES (?, ?, ?, 0) ON CONFLICT(key) DO UPDATE SET chunks = excluded.chunks", key, JSON.stringify(all), now);
        if (!own) this.claims!.set(key, { key, claimed_at: now, written: 0 });
        for (const p of mine) this.byChunk.set(p, key);
        out.write.push(...mine);
      });
    } catch (e) {
      this.claims = undefined; // memory may be ahead of a rolled-back transaction
      throw e;
    }
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(now + LEDGER_RETENTION_MS);
    return out;
  }

  async commit(key: string): Promise<void> {
    this.load();
    const c = this.claims!.get(key);
    if (!c || c.written) return;
    this.sql.exec("UPDATE claims SET written = 1 WHERE key = ?", key);
    c.written = 1;
  }

  /** The put failed: nothing was written, so the parts can be claimed again at once. */
  async release(key: string): Promise<void> {
    this.sql.exec("DELETE FROM claims WHERE key = ? AND written = 0", key);
    this.claims = undefined; // its chunks fall back to any earlier claim
  }

  async state(part: string): Promise<Row | null> {
    const c = this.holder(part);
    return c ? { part, key: c.key, claimed_at: c.claimed_at, written: c.written } : null;
  }

  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
    this.claims = undefined;
    this.createTable(); // the instance may live on and be written again
  }

  private load(): void {
    if (this.claims) return;
    this.claims = new Map();
    this.byChunk = new Map();
    // Ledgers written before claims had a row per chunk (table parts): read them too.
    if (this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'parts'").toArray().length) {
      for (const r of this.sql.exec<Row>("SELECT part, key, claimed_at, written FROM parts ORDER BY claimed_at")) {
        const c = this.claims.get(r.key);
        if (c) c.written = Math.max(c.written, r.written);
        else this.claims.set(r.key, { key: r.key, claimed_at: r.claimed_at, written: r.written });
        this.byChunk.set(r.part, r.key);
      }
    }
    for (const r of this.sql.exec<Claim & { chunks: string }>("SELECT key, chunks, claimed_at, written FROM claims ORDER BY claimed_at")) {
      this.claims.set(r.key, { key: r.key, claimed_at: r.claimed_at, written: r.written });
      for (const p of JSON.parse(r.chunks) as string[]) this.byChunk.set(p, r.key);
    }
  }

  private holder(part: string): Claim | undefined {
    this.load();
    const k = this.byChunk.get(part);
    return k === undefined ? undefined : this.claims!.get(k);
  }

  private chunksOf(key: string): string[] {
    const r = this.sql.exec<{ chunks: string }>("SELECT chunks FROM claims WHERE key = ?", key).toArray()[0];
    return r ? (JSON.parse(r.chunks) as string[]) : [];
  }
}
