/** Small statistics helpers. Pure. */

/** Nearest-rank percentile of unsorted samples (p in 0..100); NaN for none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const s = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))]!;
}

export function summary(samples: readonly number[]): { n: number; p50: number; p99: number; max: number } {
  return { n: samples.length, p50: percentile(samples, 50), p99: percentile(samples, 99), max: samples.length ? Math.max(...samples) : Number.NaN };
}

export const ratio = (x: number, ceiling: number): number => (ceiling > 0 ? x / ceiling : Number.NaN);

/** The order of the statistics on/off ingest runs (bench/recs.ts): a warm-up on each collector, then off and on alternating, off first and last. */
export const INGEST_WARMUP: readonly ("on" | "off")[] = ["off", "on"];
export const INGEST_RUNS: readonly ("on" | "off")[] = ["off", "on", "off", "on", "off", "on", "off", "on", "off"];
/**
 * Then at a fixed offered rate (half the "off" req/s), for workerd CPU per event: on first,
 * so that the last "off" run above is not followed by another on the same collector.
 */
export const INGEST_FIXED_RATE_RUNS: readonly ("on" | "off")[] = ["on", "off", "on", "off", "on", "off", "on"];

/**
 * Runs alternating sides (an odd count; the side in `centre` at the odd positions): each
 * centre run against the mean of the two runs around it, as "on" / "off" - 1, and their
 * median (of an even count, the mean of the middle two). Centre "on" (off, on, off, ...): each
 * "on" run against its two "off" neighbours; centre "off" (on, off, on, ...): the mean of two
 * "on" runs against the "off" run between them.
 */
export function bracketedChange(values: number[], centre: "on" | "off" = "on"): { pairs: number[]; change: number } {
  const pairs: number[] = [];
  for (let i = 1; i + 1 < values.length; i += 2) {
    const around = (values[i - 1]! + values[i + 1]!) / 2;
    pairs.push(centre === "on" ? values[i]! / around - 1 : around / values[i]! - 1);
  }
  const sorted = [...pairs].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const change = sorted.length === 0 ? 0 : sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { pairs, change };
}
