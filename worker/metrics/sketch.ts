/**
 * A mergeable latency sketch: counts in fixed log-scale buckets, 8 per doubling of the value,
 * so any quantile read from it is within about 4.5% of the true value (half a bucket), and two
 * sketches merge by adding counts. Stored sparse, as {bucket index: count}. Pure.
 */
export type Sketch = Record<string, number>;

const PER_DOUBLING = 8;
/** 2^(300/8) ms is years: anything larger lands in the last bucket. */
const MAX_BUCKET = 300;

/** Bucket 0 holds values below 1 ms (and negative clock noise); bucket b >= 1 holds [2^((b-1)/8), 2^(b/8)). */
export function bucketOf(ms: number): number {
  if (!(ms >= 1)) return 0;
  return Math.min(MAX_BUCKET, Math.floor(Math.log2(ms) * PER_DOUBLING) + 1);
}

/** The value a bucket stands for: its geometric middle (0.5 ms for bucket 0). */
export function bucketValue(b: number): number {
  return b <= 0 ? 0.5 : 2 ** ((b - 0.5) / PER_DOUBLING);
}

export function observe(s: Sketch, ms: number, n = 1): Sketch {
  const k = String(bucketOf(ms));
  s[k] = (s[k] ?? 0) + n;
  return s;
}

export function countOf(s: Sketch | undefined): number {
  let n = 0;
  for (const v of Object.values(s ?? {})) n += v;
  return n;
}

/** The q-quantile (0..1) as the middle of the bucket holding rank ceil(q * n); null when empty. */
export function quantile(s: Sketch | undefined, q: number): number | null {
  const n = countOf(s);
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil(q * n));
  const buckets = Object.entries(s!).map(([b, c]) => [Number(b), c] as const).sort((a, b) => a[0] - b[0]);
  let seen = 0;
  for (const [b, c] of buckets) {
    seen += c;
    if (seen >= rank) return Math.round(bucketValue(b) * 10) / 10;
  }
  return Math.round(bucketValue(buckets[buckets.length - 1]![0]) * 10) / 10;
}
