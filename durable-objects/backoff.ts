/** Exponential backoff with full jitter: delay in [base*2^(n-1)/2, base*2^(n-1)], capped. */
export function backoffMs(attempt: number, baseMs = 1000, maxMs = 5 * 60_000, rand: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(attempt));
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(n - 1, 30));
  return Math.round(ceiling / 2 + (rand() * ceiling) / 2);
}
