/**
 * Retry delay after `attempt` failures: exponential from 1 s, capped at 5 min, with "equal
 * jitter" (half fixed, half random) so tabs that failed together do not retry together and
 * no retry comes sooner than half the step.
 */
export const backoff = (attempt: number, rnd = Math.random()): number => (Math.min(3e5, 1e3 * 2 ** attempt) * (1 + rnd)) / 2;
