import { describe, expect, it } from "vitest";
import { dataPoints, MAX_POINTS } from "./ae";
import { classify } from "./classify";
import { minuteOf } from "../../durable-objects/lib/metric-tree";
import { Delta } from "./delta";
import { queueHealth, statsView, viewRow } from "./series";
import { bucketOf, bucketValue, countOf, observe, quantile, type Sketch } from "./sketch";
import { bump, mergeInto, type Tree } from "../../durable-objects/lib/metric-tree";

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const exact = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.max(1, Math.ceil(q * xs.length)) - 1]!;

describe("latency sketch", () => {
  it("puts values in log buckets whose middle is within 4.5% of any value in them", () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(-5)).toBe(0);
    expect(bucketOf(Number.NaN)).toBe(0);
    expect(bucketOf(1)).toBe(1);
    expect(bucketOf(2)).toBe(9);
    for (const v of [1, 1.3, 7, 50, 99.9, 1234, 86_400_000]) expect(Math.abs(bucketValue(bucketOf(v)) - v) / v).toBeLessThan(0.045);
    expect(bucketOf(1e30)).toBe(300);
  });

  it("reads p50 and p99 within 5% of the exact quantiles of a long-tailed sample", () => {
    const r = rng(7);
    const xs = Array.from({ length: 20_000 }, () => Math.exp(3 + 1.2 * Math.sqrt(-2 * Math.log(r() || 1e-9)) * Math.cos(2 * Math.PI * r())));
    const s: Sketch = {};
    for (const x of xs) observe(s, x);
    expect(countOf(s)).toBe(20_000);
    for (const q of [0.5, 0.9, 0.99]) {
      const got = quantile(s, q)!;
      expect(Math.abs(got - exact(xs, q)) / exact(xs, q), `q=${q}`).toBeLessThan(0.05);
    }
  });

  it("merges by adding counts: the merged sketch equals the sketch of all values", () => {
    const r = rng(3);
    const a: Sketch = {}, b: Sketch = {}, all: Sketch = {};
    for (let i = 0; i < 5000; i++) {
      const x = r() * 2000;
      observe(i % 3 ? a : b, x);
      observe(all, x);
    }
    expect(mergeInto(mergeInto({}, a), b)).toEqual(all);
    expect(quantile(mergeInto(mergeInto({}, b), a) as Sketch, 0.99)).toBe(quantile(all, 0.99));
  });

  it("answers null for no data and the only bucket for one value", () => {
    expect(quantile({}, 0.5)).toBeNull();
    expect(quantile(undefined, 0.99)).toBeNull();
    expect(quantile(observe({}, 40), 0.99)).toBeCloseTo(40, -1);
  });
});

describe("counter rows", () => {
  it("bumps nested paths and merges by adding every leaf", () => {
    const a: Tree = {};
    bump(a, ["requests"]);
    bump(a, ["accepted", "page_view"], 2);
    bump(a, ["accepted", "search"], 0); // no-op
    const b: Tree = { requests: 2, accepted: { page_view: 1, purchase: 1 }, ingest_ms: { "40": 3 } };
    expect(mergeInto(a, b)).toEqual({ requests: 3, accepted: { page_view: 3, purchase: 1 }, ingest_ms: { "40": 3 } });
    // Garbage in a message cannot poison a row.
    expect(mergeInto({ n: 1 }, { n: Number.NaN, x: "s" as unknown as number })).toEqual({ n: 1 });
  });

  it("groups a delta by site and UTC hour, one write each", () => {
    const d = new Delta();
    const t = Date.UTC(2031, 0, 1, 10, 59, 30);
    bump(d.row("demo", t), ["requests"]);
    bump(d.row("demo", t + 60_000), ["requests"]); // 11:00, next hour
    bump(d.row("shop", t), ["requests"], 4);
    bump(d.row("demo", t + 5_000), ["requests"]); // same minute as the first
    const groups = d.byHour().sort((x, y) => x.site.localeCompare(y.site) || x.hour - y.hour);
    expect(groups.map((g) => [g.site, g.hour, g.rows])).toEqual([
      ["demo", Math.floor(t / 3_600_000), { [minuteOf(t)]: { requests: 2 } }],
      ["demo", Math.floor(t / 3_600_000) + 1, { [minuteOf(t) + 1]: { requests: 1 } }],
      ["shop", Math.floor(t / 3_600_000), { [minuteOf(t)]: { requests: 4 } }],
    ]);
    expect(new Delta().isEmpty()).toBe(true);
    expect(new Delta().merge(d).addRows("demo", { [minuteOf(t)]: { duplicates: 2 } }).byHour().find((g) => g.site === "demo")!.rows[minuteOf(t)]).toEqual({ requests: 2, duplicates: 2 });
  });
});

describe("classify an ingest answer", () => {
  it("counts accepted, duplicates and refused events of a 2xx", () => {
    expect(classify(202, { accepted: 2, duplicates: 1, rejected: [{ index: 2 }] })).toEqual({ accepted: 2, duplicates: 1, rejected: { invalid_event: 1 } });
    expect(classify(200, { success: true, accepted: 3, duplicates: 0, rejected: [] })).toEqual({ accepted: 3, duplicates: 0, rejected: {} });
  });

  it("counts a refusal under the reason the route set, once per request or per refused event", () => {
    const r = (status: number, body: unknown, reason?: string) => classify(status, body, reason).rejected;
    expect(r(400, { error: "invalid envelope", details: [] }, "invalid_envelope")).toEqual({ invalid_envelope: 1 });
    expect(r(400, { error: "no valid events", rejected: [{}, {}] }, "invalid_event")).toEqual({ invalid_event: 2 });
    expect(r(403, { error: "unknown site" }, "unknown_site")).toEqual({ unknown_site: 1 });
    expect(r(413, {}, "too_large")).toEqual({ too_large: 1 });
    // The message text plays no part: the same words under another reason count there.
    expect(r(400, { error: "body is not JSON" }, "bad_request")).toEqual({ bad_request: 1 });
  });

  it("falls back on the status alone when a route set no reason, and ignores 5xx", () => {
    expect(classify(401, { error: "x" }).rejected).toEqual({ unauthorized: 1 });
    expect(classify(429, {}).rejected).toEqual({ rate_limited: 1 });
    expect(classify(403, { error: "unknown site" }).rejected).toEqual({ bad_request: 1 });
    expect(classify(500, { error: "internal error" }, "bad_request").rejected).toEqual({});
    expect(classify(400, null)).toEqual({ accepted: 0, duplicates: 0, rejected: { bad_request: 1 } });
  });
});

describe("Analytics Engine data points", () => {
  it("writes one point per site, metric and label, summing minutes, with bucket values for sketches", () => {
    const d = new Delta();
    const t = Date.UTC(2031, 0, 1, 10, 0);
    const row = d.row("demo", t);
    bump(row, ["requests"], 2);
    bump(row, ["accepted", "page_view"], 3);
    observe((row.lake_lag_ms = {}) as Sketch, 100, 2);
    bump(d.row("demo", t + 60_000), ["accepted", "page_view"], 1);
    bump(d.row("shop", t), ["rejected", "not_json"]);
    const points = dataPoints(d);
    expect(points).toContainEqual({ indexes: ["demo"], blobs: ["requests", ""], doubles: [2, 0] });
    expect(points).toContainEqual({ indexes: ["demo"], blobs: ["accepted", "page_view"], doubles: [4, 0] });
    expect(points).toContainEqual({ indexes: ["shop"], blobs: ["rejected", "not_json"], doubles: [1, 0] });
    const lag = points.find((p) => p.blobs[0] === "lake_lag_ms")!;
    expect(lag.doubles[0]).toBe(2);
    expect(Math.abs(lag.doubles[1] - 100) / 100).toBeLessThan(0.05);
    expect(lag.blobs[1]).toBe(String(bucketOf(100)));
    expect(points).toHaveLength(4);
  });

  it("stays within the 250 writes a Worker may make per invocation", () => {
    const d = new Delta();
    for (let i = 0; i < 400; i++) bump(d.row("demo", 0), ["accepted", `t${i}`]);
    expect(dataPoints(d)).toHaveLength(MAX_POINTS);
  });
});

describe("stats view", () => {
  const now = minuteOf(Date.UTC(2031, 0, 1, 12, 0));
  const rows: Record<string, Tree> = {
    [now - 100]: { requests: 9 }, // outside a 60-minute window
    [now - 20]: { requests: 2, accepted: { page_view: 2 }, ingest_ms: observe(observe({}, 10), 30), consumer_batches: 1, lake_events: 2 },
    [now]: { requests: 1, duplicates: 1, accepted: { search: 1 }, rejected: { invalid_event: 1, not_json: 2 }, ingest_ms: observe({}, 200), consumer_batches: 1 },
  };

  it("totals the window and lists the minutes with data", () => {
    const v = statsView("demo", rows, now, 60);
    expect(v.totals).toMatchObject({ requests: 3, duplicates: 1, accepted: { page_view: 2, search: 1 }, accepted_total: 3, rejected: { invalid_event: 1, not_json: 2 }, rejected_total: 3, lake_events: 2 });
    expect(v.totals.ingest_ms.count).toBe(3);
    expect(v.totals.ingest_ms.p50).toBeCloseTo(30, -1);
    expect(v.totals.ingest_ms.p99).toBeGreaterThan(190);
    expect(v.series.map((s) => s.minute)).toEqual([new Date((now - 20) * 60_000).toISOString(), new Date(now * 60_000).toISOString()]);
    expect(v.from).toBe(new Date((now - 59) * 60_000).toISOString());
    expect(v.queue).toMatchObject({ health: "ok", last_batch_minute: new Date(now * 60_000).toISOString() });
    expect(statsView("demo", rows, now, 120).totals.requests).toBe(12);
  });

  it("rates the queue: dead letters fail it, retries or slow lake degrade it, silence is idle", () => {
    expect(queueHealth(viewRow({ deadletter_messages: 1, queue_retries: 3 }))[0]).toBe("failing");
    expect(queueHealth(viewRow({ queue_retries: 3, consumer_batches: 1 }))[0]).toBe("degraded");
    expect(queueHealth(viewRow({ consumer_batches: 1, lake_lag_ms: observe({}, 120_000) }))[0]).toBe("degraded");
    expect(queueHealth(viewRow({}))[0]).toBe("idle");
    expect(queueHealth(viewRow({ consumer_batches: 2, accepted: { page_view: 1 } }))[0]).toBe("ok");
  });
});
