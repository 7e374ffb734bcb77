/**
 * The lake's ledger: which flush chunks are already in R2, one object per lake partition
 * (site, day, hour). The queue is at-least-once and Durable Objects re-send a chunk whose
 * delete did not commit; the ledger turns both into exactly-once objects in the lake.
 *
 * A consumer `claim`s the chunks of a partition group before writing. Each chunk is then
 *   write  — new, or a previous claim whose object never appeared and whose lease ran out;
 *   skip   — already written (committed, or its claimed object exists in R2);
 *   busy   — claimed moments ago by another consumer run that may still be writing.
 * After the put: `commit` (or `release` when the put failed).
 */
import { DurableObject } from "cloudflare:workers";

export const CLAIM_LEASE_MS = 2 * 60_000;
/** Queue messages live at most 4 days; DO buffers can wait longer through an outage. */
export const LEDGER_RETENTION_MS = 14 * 24 * 3_600_000;

export interface ClaimResult {
  key: string;
  write: string[];
  skip: string[];
  busy: string[];
}

type Row = {
  part: string;
  key: string;
  claimed_at: number;
  written: number;
};

export class LakeLedger extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec("CREATE TABLE IF NOT EXISTS parts (part TEXT PRIMARY KEY, key TEXT NOT NULL, claimed_at INTEGER NOT NULL, written INTEGER NOT NULL) WITHOUT ROWID");
  }

  /** `key` is the object the caller will write the `write` parts to. */
  async claim(parts: string[], key: string, now = Date.now()): Promise<ClaimResult> {
    // Look in R2 for objects of earlier, unconfirmed claims (outside any transaction).
    const pending = new Map<string, string>();
    for (const p of parts) {
      const row = this.row(p);
      if (row && !row.written && row.key !== key) pending.set(p, row.key);
    }
    const exists = new Map<string, boolean>();
    await Promise.all([...new Set(pending.values())].map(async (k) => exists.set(k, (await this.env.LAKE.head(k)) !== null)));

    // Decide and record atomically; re-read rows in case another claim ran meanwhile.
    const out: ClaimResult = { key, write: [], skip: [], busy: [] };
    this.ctx.storage.transactionSync(() => {
      for (const p of new Set(parts)) {
        const row = this.row(p);
        if (!row) {
          this.sql.exec("INSERT INTO parts (part, key, claimed_at, written) VALUES (?, ?, ?, 0)", p, key, now);
          out.write.push(p);
        } else if (row.written) {
          out.skip.push(p);
        } else if (row.key === key) {
          out.write.push(p); // the same run retrying its own claim
        } else if (pending.get(p) === row.key && exists.get(row.key)) {
          this.sql.exec("UPDATE parts SET written = 1 WHERE part = ?", p);
          out.skip.push(p);
        } else if (now - row.claimed_at < CLAIM_LEASE_MS || pending.get(p) !== row.key) {
          out.busy.push(p);
        } else {
          this.sql.exec("UPDATE parts SET key = ?, claimed_at = ? WHERE part = ?", key, now, p);
          out.write.push(p);
        }
      }
    });
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(now + LEDGER_RETENTION_MS);
    return out;
  }

  async commit(key: string): Promise<void> {
    this.sql.exec("UPDATE parts SET written = 1 WHERE key = ?", key);
  }

  /** The put failed: nothing was written, so the parts can be claimed again at once. */
  async release(key: string): Promise<void> {
    this.sql.exec("DELETE FROM parts WHERE key = ? AND written = 0", key);
  }

  async state(part: string): Promise<Row | null> {
    return this.row(part);
  }

  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }

  private row(part: string): Row | null {
    return this.sql.exec<Row>("SELECT part, key, claimed_at, written FROM parts WHERE part = ?", part).toArray()[0] ?? null;
  }
}
