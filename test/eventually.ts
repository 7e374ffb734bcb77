/**
 * Polling until a condition holds: the one helper for the workerd tests and the Node e2e tests
 * (no runtime imports, so both can load it).
 */
export interface EventuallyOptions {
  /** What is awaited, named in the timeout error: "the purchase in the lake". */
  what: string;
  /** How long to wait before failing. */
  ms: number;
  /** Pause between attempts (default 100 ms). */
  every?: number;
}

/**
 * Calls `fn` until it returns a truthy value, and returns that value. An error thrown by `fn`
 * fails at once (a broken request is not "not yet"); running out of time fails with `what`.
 */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, { what, ms, every = 100 }: EventuallyOptions): Promise<T> {
  const start = Date.now();
  let attempts = 0;
  for (;;) {
    attempts++;
    const v = await fn();
    if (v) return v;
    if (Date.now() - start > ms) throw new Error(`${what}: not seen within ${ms} ms (${attempts} attempts)`);
    await new Promise((r) => setTimeout(r, every));
  }
}
