/**
 * Pure rules of the Parquet compaction's manifest (lake-manifest.ts holds the state, one object
 * per partition; worker/lake/compact.ts runs the job).
 *
 * A partition (site, day, hour) gets generations 1, 2, 3, ... Each generation is one Parquet
 * object at a deterministic key and covers a set of NDJSON objects; no NDJSON object is covered
 * twice. A run first takes the partition's lease for the next generation number, writes that
 * generation's key, then commits (generation -> objects) while it still holds the lease. A run
 * that dies before its commit leaves at most an object at the next generation's key, which
 * the next run overwrites (same key) with a superset: nothing lost, nothing twice.
 */

/** A run may hold a partition this long; after that another run may take over. */
export const COMPACT_LEASE_MS = 10 * 60_000;
/** A run does not start its Parquet put later than this after taking the lease, so a stalled run cannot overwrite a successor's object. */
export const PUT_DEADLINE_MS = COMPACT_LEASE_MS / 2;

export interface Partition {
  site: string;
  /** YYYY-MM-DD */
  dt: string;
  /** HH */
  hr: string;
}

export type Lease = {
  run: string;
  generation: number;
  since: number;
};

export type GenerationRow = {
  generation: number;
  key: string;
  events: number;
  objects: number;
  committed_at: number;
};

export type BeginResult = { ok: true; generation: number; since: number } | { ok: false; busy_until: number };

/** Six digits keep generations in key order (parquet/.../000001.parquet). */
export const generationName = (n: number): string => String(n).padStart(6, "0");

export const partitionPrefix = (base: "events" | "parquet", p: Partition): string => `${base}/site=${p.site}/dt=${p.dt}/hr=${p.hr}`;

export const parquetKey = (p: Partition, generation: number): string => `${partitionPrefix("parquet", p)}/${generationName(generation)}.parquet`;

/** The partition of an `events/` or `parquet/` key, or null. */
export function partitionOfKey(key: string): Partition | null {
  const m = /^(?:events|parquet)\/site=([^/]+)\/dt=(\d{4}-\d{2}-\d{2})\/hr=(\d{2})\//.exec(key);
  return m ? { site: m[1]!, dt: m[2]!, hr: m[3]! } : null;
}

/** Who may start the next generation now. */
export function decideBegin(lease: Lease | null, lastGeneration: number, run: string, now: number): BeginResult {
  if (lease && lease.run !== run && now - lease.since < COMPACT_LEASE_MS) return { ok: false, busy_until: lease.since + COMPACT_LEASE_MS };
  if (lease && lease.run === run) return { ok: true, generation: lease.generation, since: lease.since };
  return { ok: true, generation: lastGeneration + 1, since: now };
}

/** A commit is accepted only from the run holding the lease for that generation. */
export function mayCommit(lease: Lease | null, run: string, generation: number): boolean {
  return !!lease && lease.run === run && lease.generation === generation;
}

/** Too late to put: a successor may already have taken the lease and written the same key. */
export function mayPut(since: number, now: number): boolean {
  return now - since < PUT_DEADLINE_MS;
}

/**
 * The NDJSON objects a generation may take: uncovered keys in key order (oldest stamp first),
 * at most `maxObjects` (at least one). The job stops reading earlier once it holds enough events.
 */
export function pickBatch(uncovered: readonly string[], maxObjects: number): string[] {
  return [...uncovered].sort().slice(0, Math.max(1, maxObjects));
}
