/**
 * The user object's state in ONE SQLite row, written at most once per transaction.
 *
 * SQLite-backed Durable Objects are billed by rows written, and a new table costs rows too
 * (its schema entries). So everything a beacon changes lives in one row of one table: the
 * small k/v facts (site, id, consent, bot state, merged_into), the profile, the timers, the
 * flush state, the event ids seen recently (seen-ids.ts) and the chunks waiting for the queue
 * (outbox.ts). Tables that only some objects need (held events, merges, tombstones, overflow)
 * are created when first needed (`ensureTable`).
 *
 * The row is read once per object lifetime and kept in memory; collaborators change the
 * document and call `touch()`; the transaction wrapper calls `save()`. A rolled-back
 * transaction calls `forget()`, and the next access reads the row again.
 */
import type { StoredRecord } from "../schemas";
import { dropV1, isV1, migrateV1 } from "./migrate-v1";
import type { Profile } from "./profile";

export type TimerKey = "flush" | "session_end" | "cart_abandoned" | "prune";

/** A chunk waiting for the queue: its id is fixed when it is made and travels with the message. */
export interface Chunk {
  id: string;
  n: number;
  bytes: number;
  records: StoredRecord[];
}

export interface StateDoc {
  v: 2;
  /** Small facts: site, id, consent, bot (JSON), bot_dropped, merged_into. */
  meta: Record<string, string>;
  profile: Profile | null;
  timers: Partial<Record<TimerKey, number>>;
  /** Event ids remembered for dedup, grouped by the time they were taken: [at, ids]. */
  seen: [number, string[]][];
  /** Duplicates dropped per epoch minute, not reported yet (flush-stats.ts). */
  dups: Record<string, number>;
  /** Chunk ids: `${object}-${gen}-${seq}`; gen is new whenever the row is made. */
  gen: string;
  seq: number;
  attempt: number;
  outbox: Chunk[];
}

const emptyDoc = (): StateDoc => ({ v: 2, meta: {}, profile: null, timers: {}, seen: [], dups: {}, gen: crypto.randomUUID().slice(0, 8), seq: 0, attempt: 0, outbox: [] });

export class StateRow {
  private doc: StateDoc | undefined;
  private dirty = false;
  /** JSON text of each chunk's records, made once: rewriting the row does not re-serialise them. */
  private readonly chunkJson = new Map<string, string>();
  private tables: Set<string> | undefined;

  constructor(
    readonly sql: SqlStorage,
    private readonly objectId: string,
  ) {
    sql.exec("CREATE TABLE IF NOT EXISTS state (k INTEGER PRIMARY KEY, v TEXT NOT NULL)");
  }

  get(): StateDoc {
    if (!this.doc) {
      const row = this.sql.exec<{ v: string }>("SELECT v FROM state WHERE k = 1").toArray()[0];
      this.doc = row ? { ...emptyDoc(), ...(JSON.parse(row.v) as StateDoc) } : emptyDoc();
      if (!row) this.hasTable("state"); // reads the table list, for an object of the older layout
      if (!row && isV1(this.tables!)) {
        migrateV1(this.sql, this.tables!, this.doc, this.objectId);
        this.dirty = true;
        this.save();
        this.tables = this.tableList(); // the migration may have made seen_log
        dropV1(this.sql, this.tables);
      }
    }
    return this.doc;
  }

  /** Whether the row exists on disk (a new object has none until its first write). */
  exists(): boolean {
    return this.sql.exec("SELECT 1 FROM state WHERE k = 1").toArray().length > 0;
  }

  touch(): void {
    this.get();
    this.dirty = true;
  }

  get isDirty(): boolean {
    return this.dirty;
  }

  /** Writes the row if anything changed: one row written, whatever changed. */
  save(): boolean {
    if (!this.dirty || !this.doc) return false;
    const { outbox, ...rest } = this.doc;
    const head = JSON.stringify(rest);
    const chunks = outbox.map((c) => `{"id":${JSON.stringify(c.id)},"n":${c.n},"bytes":${c.bytes},"records":${this.recordsJson(c)}}`);
    this.sql.exec("INSERT INTO state (k, v) VALUES (1, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v", `${head.slice(0, -1)},"outbox":[${chunks.join(",")}]}`);
    this.dirty = false;
    for (const id of this.chunkJson.keys()) if (!outbox.some((c) => c.id === id)) this.chunkJson.delete(id);
    return true;
  }

  /** The records of a chunk as JSON (cached: a chunk's records never change once it is closed). */
  recordsJson(c: Chunk): string {
    let j = this.chunkJson.get(c.id);
    if (j === undefined) this.chunkJson.set(c.id, (j = JSON.stringify(c.records)));
    return j;
  }

  /** The outbox appends to the open chunk's JSON instead of serialising its records again. */
  setRecordsJson(c: Chunk, json: string): void {
    this.chunkJson.set(c.id, json);
  }

  /** After a rollback: what memory holds may never have reached the disk. */
  forget(): void {
    this.doc = undefined;
    this.dirty = false;
    this.chunkJson.clear();
    this.tables = undefined;
  }

  /** Erasure: a new empty document (the chunk sequence goes on, so chunk ids never repeat). */
  reset(): void {
    const old = this.get();
    this.doc = { ...emptyDoc(), gen: old.gen, seq: old.seq };
    this.chunkJson.clear();
    this.dirty = true;
  }

  // --- tables only some objects need ----------------------------------------------------------

  hasTable(name: string): boolean {
    this.tables ??= this.tableList();
    return this.tables.has(name);
  }

  private tableList(): Set<string> {
    return new Set(this.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").toArray().map((r) => r.name));
  }

  ensureTable(name: string, ddl: string): void {
    if (this.hasTable(name)) return;
    this.sql.exec(ddl);
    this.tables!.add(name);
  }

  /** Drops a table (erasure): its rows go without a row write each. */
  dropTable(name: string): void {
    if (!this.hasTable(name)) return;
    this.sql.exec(`DROP TABLE ${name}`);
    this.tables!.delete(name);
  }
}
