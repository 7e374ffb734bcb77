/**
 * Click -> page latency on the demo shop, measured inside the page: from a click on a product
 * (grid or recommendation row) to the first change of the "recommended for you" row's
 * products, with the parts of that time from the page's resource timing: the snippet's
 * priority window (click -> POST /v1/collect starts), the POST itself, and the rest (the
 * collector's push, the recomputation, the SSE frame and the render). Used by
 * e2e/personalize.e2e.test.ts and `npm run bench:page`.
 */
import type { Page } from "playwright-core";

export interface ClickSample {
  product_id: string;
  /** click -> row changed, ms; null when the row did not change within the timeout. */
  total: number | null;
  /** click -> the first POST /v1/collect after it started. */
  window: number | null;
  /** that POST, start -> response end. */
  post: number | null;
  /** POST /v1/collect requests started from the click until the row changed (one per page context). */
  requests: number;
}

/** Installs the probe on a demo page (once per page load). */
export function installProbe(page: Page): Promise<void> {
  return page.evaluate(() => {
    const w = window as unknown as { __lat: { changes: { t0: number; at: number }[]; t0: number; before: string } };
    const row = document.querySelector("#for-you")!;
    const ids = () => Array.from(row.querySelectorAll(".rec"), (e) => e.getAttribute("data-product-id")).join(" ");
    w.__lat = { changes: [], t0: 0, before: "" };
    // The profile panel polls and streams reconnect: keep every resource entry.
    performance.setResourceTimingBufferSize(100_000);
    document.addEventListener(
      "click",
      (e) => {
        if ((e.target as Element).closest(".product-thumbnail, a.rec")) Object.assign(w.__lat, { t0: performance.now(), before: ids() });
      },
      true,
    );
    new MutationObserver(() => {
      const l = w.__lat;
      if (l.t0 && ids() !== l.before) l.changes.push({ t0: l.t0, at: performance.now() }), (l.t0 = 0);
    }).observe(row, { childList: true });
  });
}

/** Clicks the grid thumbnail of each product in turn and measures each (the probe must be installed). */
export async function measureClicks(page: Page, productIds: string[], opts: { timeoutMs?: number; pauseMs?: number } = {}): Promise<ClickSample[]> {
  const out: ClickSample[] = [];
  for (const id of productIds) {
    const n = await page.evaluate(() => (window as any).__lat.changes.length as number);
    await page.click(`.product-thumbnail[data-product-id="${id}"]`);
    let changed = true;
    try {
      await page.waitForFunction((k) => (window as any).__lat.changes.length > k, n, { timeout: opts.timeoutMs ?? 5000 });
    } catch {
      changed = false;
    }
    // Resource timing entries appear once a response has fully arrived: wait before reading them.
    await page.waitForTimeout(opts.pauseMs ?? 400);
    const s = await page.evaluate(
      ({ changed, id }) => {
        const l = (window as any).__lat as { changes: { t0: number; at: number }[]; t0: number };
        const c = changed ? l.changes.at(-1)! : { t0: l.t0, at: NaN };
        l.t0 = 0;
        // The first collect POST after the click: the one its priority window sent.
        const posts = (performance.getEntriesByType("resource") as PerformanceResourceTiming[]).filter((e) => e.name.endsWith("/v1/collect") && e.startTime >= c.t0);
        const post = posts[0];
        const r = (x: number) => (Number.isFinite(x) ? Math.round(x) : null);
        return {
          product_id: id,
          total: r(c.at - c.t0),
          window: post ? r(post.startTime - c.t0) : null,
          post: post ? r(post.responseEnd - post.startTime) : null,
          requests: posts.filter((e) => e.startTime <= (Number.isFinite(c.at) ? c.at : Infinity)).length,
        };
      },
      { changed, id },
    );
    out.push(s);
  }
  return out;
}

/** The p-quantile (nearest rank) of the measured values; a miss (null) counts as infinitely slow. */
export function quantile(xs: (number | null)[], p: number): number {
  const v = xs.map((x) => (x === null ? Infinity : x)).sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil(v.length * p) - 1))]!;
}

export function summarize(samples: ClickSample[]) {
  const q = (k: keyof Pick<ClickSample, "total" | "window" | "post">, p: number) => quantile(samples.map((s) => s[k]), p);
  return {
    clicks: samples.length,
    misses: samples.filter((s) => s.total === null).length,
    total_ms: { p50: q("total", 0.5), p90: q("total", 0.9), max: q("total", 1) },
    window_ms: { p50: q("window", 0.5), p90: q("window", 0.9) },
    post_ms: { p50: q("post", 0.5), p90: q("post", 0.9) },
    requests_per_click: { p50: quantile(samples.map((x) => x.requests), 0.5), max: quantile(samples.map((x) => x.requests), 1) },
  };
}
