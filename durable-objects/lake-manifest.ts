/**
 * The Parquet manifest of one lake partition (site, day, hour): which generations exist, which
 * NDJSON objects each covers, and who is writing the next one (a lease). The job that writes the
 * Parquet objects is worker/lake/compact.ts; the rules are in compaction-plan.ts.
 * Kept for as long as the partition exists (a few rows per generation; no alarm deletes it),
 * so late objects always find what is already covered.
 */
import { DurableObject } from "cloudflare:workers";
import { decideBegin, mayCommit, type BeginResult, type GenerationRow, type Lease } from "./compaction-plan";

export class LakeManifest extends DurableObject {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env as never);
    this.sql = ctx.storage.sql;
    this.sql.exec("CREATE TABLE IF NOT EXISTS generations (generation INTEGER PRIMARY KEY, key TEXT NOT NULL, events INTEGER NOT NULL, objects INTEGER NOT NULL, committed_at INTEGER NOT NULL)");
    this.sql.exec("CREATE TABLE IF NOT EXISTS covered (object TEXT PRIMARY KEY, generation INTEGER NOT NULL) WITHOUT ROWID");
    this.sql.exec("CREATE TABLE IF NOT EXISTS lease (one INTEGER PRIMARY KEY CHECK (one = 1), run TEXT NOT NULL, generation INTEGER NOT NULL, since INTEGER NOT NULL)");
  }

  /** Takes (or renews the claim on) the lease for the next generation. */
  async begin(run: string, now = Date.now()): Promise<BeginResult> {
    const res = decideBegin(this.lease(), this.last(), run, now);
    if (res.ok) this.sql.exec("INSERT OR REPLACE INTO lease (one, run, generation, since) VALUES (1, ?, ?, ?)", run, res.generation, res.since);
    return res;
  }

  /** The keys, of those given, that no generation covers yet. */
  async uncovered(keys: string[]): Promise<string[]> {
    return keys.filter((k) => this.sql.exec("SELECT 1 FROM covered WHERE object = ?", k).toArray().length === 0);
  }

  /**
   * Records the generation the lease holder wrote. Refused (false) when the lease was lost, or
   * when an object is already covered (it would then be in Parquet twice).
   */
  async commit(run: string, generation: number, key: string, objects: string[], events: number, now = Date.now()): Promise<boolean> {
    return this.ctx.storage.transactionSync(() => {
      if (!mayCommit(this.lease(), run, generation)) return false;
      for (const o of objects) if (this.sql.exec("SELECT 1 FROM covered WHERE object = ?", o).toArray().length) return false;
      this.sql.exec("INSERT INTO generations (generation, key, events, objects, committed_at) VALUES (?, ?, ?, ?, ?)", generation, key, events, objects.length, now);
      for (const o of objects) this.sql.exec("INSERT INTO covered (object, generation) VALUES (?, ?)", o, generation);
      this.sql.exec("DELETE FROM lease");
      return true;
    });
  }

  /** The run ends without a commit (nothing to do, or it failed before its put). */
  async release(run: string): Promise<void> {
    this.sql.exec("DELETE FROM lease WHERE run = ?", run);
  }

  async generations(): Promise<GenerationRow[]> {
    return this.sql.exec<GenerationRow>("SELECT generation, key, events, objects, committed_at FROM generations ORDER BY generation").toArray();
  }

  /** The NDJSON objects a generation covers (for a purge that rewrites one generation, and for tests). */
  async objectsOf(generation: number): Promise<string[]> {
    return this.sql.exec<{ object: string }>("SELECT object FROM covered WHERE generation = ? ORDER BY object", generation).toArray().map((r) => r.object);
  }

  private lease(): Lease | null {
    return this.sql.exec<Lease>("SELECT run, generation, since FROM lease").toArray()[0] ?? null;
  }

  private last(): number {
    return this.sql.exec<{ n: number | null }>("SELECT max(generation) AS n FROM generations").one().n ?? 0;
  }
}
