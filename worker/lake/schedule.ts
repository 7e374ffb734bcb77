/**
 * Which lake partitions the hourly job looks at, and the job's settings (pure; worker/lake/compact.ts runs it).
 *
 * Each run compacts every site's hours from `lookbackHours` ago up to the hour that just closed
 * (objects that arrive late in those hours become a later generation), and the hours that reach
 * the NDJSON retention age: those are compacted once more (to catch anything later still), then
 * their covered NDJSON objects are deleted. Missed runs catch up: each hour stays in both windows
 * for `lookbackHours` runs.
 */
import type { Partition } from "../../durable-objects/compaction-plan";

const HOUR = 3_600_000;

export interface LakeTuning {
  /** NDJSON objects are deleted this many days after their hour, once covered by Parquet. */
  retentionDays: number;
  lookbackHours: number;
  /** Per generation: NDJSON objects read, and events (reading stops at the first object that reaches it). */
  maxObjects: number;
  maxEvents: number;
  /** Per scheduled run: NDJSON objects read over all partitions (Workers allow 10,000 subrequests). */
  runObjects: number;
}

const int = (v: string | undefined, dflt: number, min: number, max: number): number => {
  const n = v === undefined || v === "" ? dflt : Number(v);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, Math.floor(n))) : dflt;
};

export function lakeTuning(env: { LAKE_NDJSON_RETENTION_DAYS?: string; LAKE_COMPACT_LOOKBACK_HOURS?: string; LAKE_COMPACT_MAX_OBJECTS?: string; LAKE_COMPACT_MAX_EVENTS?: string; LAKE_COMPACT_RUN_OBJECTS?: string }): LakeTuning {
  return {
    retentionDays: int(env.LAKE_NDJSON_RETENTION_DAYS, 7, 1, 3650),
    lookbackHours: int(env.LAKE_COMPACT_LOOKBACK_HOURS, 24, 1, 24 * 14),
    maxObjects: int(env.LAKE_COMPACT_MAX_OBJECTS, 2_000, 1, 9_000),
    maxEvents: int(env.LAKE_COMPACT_MAX_EVENTS, 20_000, 1, 1_000_000),
    runObjects: int(env.LAKE_COMPACT_RUN_OBJECTS, 8_000, 1, 9_500),
  };
}

/** The UTC hour that contains `ms`, as partition fields. */
export function hourOf(ms: number): { dt: string; hr: string } {
  const iso = new Date(Math.floor(ms / HOUR) * HOUR).toISOString();
  return { dt: iso.slice(0, 10), hr: iso.slice(11, 13) };
}

/** Start of a partition's hour (ms), or NaN for a day/hour that does not exist. */
export function hourStart(p: { dt: string; hr: string }): number {
  const ms = Date.parse(`${p.dt}T${p.hr}:00:00.000Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 13) === `${p.dt}T${p.hr}` ? ms : NaN;
}

/** Whether a partition's NDJSON may be deleted (its hour ended `retentionDays` ago). */
export function expired(p: { dt: string; hr: string }, now: number, retentionDays: number): boolean {
  return hourStart(p) + HOUR + retentionDays * 24 * HOUR <= now;
}

export interface ScheduledWork {
  /** Recent closed hours, newest first. */
  compact: Partition[];
  /** Hours at retention age: compact, then delete covered NDJSON. */
  expire: Partition[];
}

export function scheduledPartitions(sites: readonly string[], now: number, t: Pick<LakeTuning, "lookbackHours" | "retentionDays">): ScheduledWork {
  const current = Math.floor(now / HOUR) * HOUR;
  const compact: Partition[] = [];
  const expire: Partition[] = [];
  for (let i = 1; i <= t.lookbackHours; i++) {
    const recent = hourOf(current - i * HOUR);
    // Oldest hour whose retention ended: current - retention - 1 hour, and the lookback before it.
    const old = hourOf(current - (t.retentionDays * 24 + i) * HOUR);
    for (const site of sites) {
      compact.push({ site, ...recent });
      expire.push({ site, ...old });
    }
  }
  return { compact, expire };
}
