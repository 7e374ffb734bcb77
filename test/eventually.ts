/** Polling until a condition holds: shared by the workerd tests and the Node e2e tests (no runtime imports). */
export interface PollOptions {
  ms?: number;
  every?: number;
  /** Named in the timeout error. */
  what?: string;
  /** Treat a throwing `fn` as "not yet" (servers still starting, objects not written yet). */
  retryErrors?: boolean;
}

export async function poll<T>(fn: () => Promise<T | undefined | null | false>, opts: PollOptions = {}): Promise<T> {
  const { ms = 15_000, every = 100, what = "condition", retryErrors = false } = opts;
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      if (!retryErrors) throw e;
      last = e;
    }
    if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms${last ? ` (last error: ${String(last)})` : ""}`);
    await new Promise((r) => setTimeout(r, every));
  }
}
