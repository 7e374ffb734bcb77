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
