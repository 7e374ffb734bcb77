/** Exponential backoff with "equal jitter": half the capped delay fixed, half random, so delay is in [base*2^(n-1)/2, base*2^(n-1)] (never near 0, unlike full jitter). */
export function backoffMs(attempt: number, baseMs = 1000, maxMs = 5 * 60_000, rand: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(attempt));
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(n - 1, 30));
  return Math.round(ceiling / 2 + (rand() * ceiling) / 2);
}
