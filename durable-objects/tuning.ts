/** The user object's tuning, from wrangler vars: flush size and interval, dedup TTL, affinity half-life. */
export interface Tuning {
  flushMaxEvents: number;
  flushIntervalMs: number;
  dedupTtlMs: number;
  halfLifeMs: number;
}

const int = (v: string | undefined, dflt: number, min: number, max: number): number => {
  const n = v === undefined || v === "" ? dflt : Number(v);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, Math.floor(n))) : dflt;
};

export function tuning(env: Env): Tuning {
  return {
    flushMaxEvents: int(env.FLUSH_MAX_EVENTS, 50, 1, 10_000),
    flushIntervalMs: int(env.FLUSH_INTERVAL_MS, 5_000, 0, 3_600_000),
    dedupTtlMs: int(env.DEDUP_TTL_HOURS, 7 * 24, 1, 24 * 365) * 3_600_000,
    halfLifeMs: int(env.PROFILE_HALF_LIFE_HOURS, 24, 1, 24 * 365) * 3_600_000,
  };
}
