/**
 * Observability in workerd, against the real worker, objects, queue and R2: the request log,
 * the stats endpoint after a known set of beacons (with refused and duplicate ones), the live
 * tail, Analytics Engine writes, the dead-letter consumer, and the stats window's expiry.
 */
import { createExecutionContext, createMessageBatch, getQueueResult, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { FlushChunk } from "../schemas";
import type { SiteStats } from "../durable-objects/site-stats";
import worker from "../worker";
import { gunzip } from "../worker/lib/lake";
import { hourOfMinute, minuteOf } from "../durable-objects/lib/metric-tree";
import { eventually } from "./eventually";
import { envelope, ev, get, pageView, post, uid } from "./helpers";
import { record } from "./records";

afterEach(() => vi.restoreAllMocks());

const stats = async (site: string, minutes = 60) => (await (await get(`/v1/admin/stats/${site}?minutes=${minutes}`)).json()) as any;

describe("request log", () => {
  it("writes one JSON line per request with route, site, status, latency and counts, never the token, the IP or the payload", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void lines.push(a.map(String).join(" ")));
    const secret = "Bearer sk-live-0123456789abcdef";
    const marker = uid("payload");
    const res = await post(envelope({ anonymous_id: marker }, [pageView({ props: { path: `/${marker}` } })]), { headers: { authorization: secret, "cf-connecting-ip": "203.0.113.77", "x-forwarded-for": "198.51.100.23", cookie: "sid=s3cr3t" } });
    expect(res.status).toBe(202);
    const line = lines.map((l) => JSON.parse(l)).find((l) => l.msg === "request" && l.route === "/v1/collect");
    expect(line).toMatchObject({ method: "POST", route: "/v1/collect", site: "demo", status: 202, accepted: 1, duplicates: 0, rejected: {} });
    expect(line.ms).toBeGreaterThanOrEqual(0);
    expect(line.bytes_in).toBeGreaterThan(100);
    const all = lines.join("\n");
    for (const s of ["sk-live", "203.0.113.77", "198.51.100.23", "s3cr3t", marker]) expect(all).not.toContain(s);

    // Admin reads are logged by route pattern, not by path.
    lines.length = 0;
    await get(`/v1/profiles/demo/${marker}`, { authorization: "Bearer test-admin-token" });
    const admin = lines.map((l) => JSON.parse(l)).find((l) => l.msg === "request")!;
    expect(admin).toMatchObject({ method: "GET", route: "/v1/profiles/:site/:id", status: 200 });
    expect(lines.join("\n")).not.toContain("test-admin-token");
    expect(lines.join("\n")).not.toContain(marker);
  });
});

describe("GET /v1/admin/stats/:site", () => {
  it("shows exactly the known traffic: accepted by type, duplicates, rejections by reason, lags", async () => {
    const site = "obs";
    const a = envelope({ site }, [pageView(), ev("product_view", { product_id: "sku-1" }), ev("add_to_cart", { product_id: "sku-1", quantity: 1 })]);
    expect((await post(a)).status).toBe(202);
    expect(await (await post(a)).json()).toMatchObject({ accepted: 0, duplicates: 3 }); // the same beacon again
    const b = envelope({ site }, [pageView(), ev("search", { query: "boots" }), ev("product_click", { category: "no product_id" })]);
    expect(await (await post(b)).json()).toMatchObject({ accepted: 2, rejected: [{ index: 2 }] });
    expect((await post({ site, anonymous_id: "x", events: [pageView()] })).status).toBe(400); // no sent_at
    expect((await post(envelope({ site }), { headers: { origin: "https://evil.example" } })).status).toBe(403);
    const accepted = [...a.events, ...b.events.slice(0, 2)].map((e) => (e as { id: string }).id);

    const s = await eventually(async () => {
      const v = await stats(site);
      return v.totals.lake_events >= 5 && v.totals.duplicates >= 3 && v.totals.requests >= 5 ? v : null;
    }, { what: "the burst counted in /v1/admin/stats", ms: 25_000, every: 300 });
    expect(s.totals).toMatchObject({
      requests: 5,
      accepted: { page_view: 2, product_view: 1, add_to_cart: 1, search: 1 },
      accepted_total: 5,
      lake_events: 5,
      duplicates: 3,
      rejected: { invalid_event: 1, invalid_envelope: 1, origin_not_allowed: 1 },
      rejected_total: 3,
      status: { "2xx": 3, "4xx": 2 },
      deadletter_messages: 0,
    });
    expect(s.totals.bytes_in).toBeGreaterThan(1000);
    expect(s.totals.ingest_ms.count).toBe(5);
    expect(s.totals.lake_lag_ms.count).toBe(5);
    expect(s.totals.lake_lag_ms.p99).toBeGreaterThan(0);
    expect(s.totals.flush_lag_ms.count).toBeGreaterThanOrEqual(1);
    expect(s.totals.consumer_batches).toBeGreaterThanOrEqual(1);
    expect(s.queue.health).toBe("ok");
    expect(s.series.length).toBeGreaterThanOrEqual(1);
    expect(s.series.reduce((n: number, m: any) => n + m.accepted_total, 0)).toBe(5);

    // Nothing is counted twice when the numbers settle.
    await new Promise((r) => setTimeout(r, 2500));
    const again = await stats(site);
    expect([again.totals.accepted_total, again.totals.duplicates, again.totals.requests, again.totals.rejected_total]).toEqual([5, 3, 5, 3]);

    // The live tail streams the stored events (Server-Sent Events).
    const res = await get(`/v1/admin/tail/${site}`);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    let text = "";
    while (!accepted.every((id) => text.includes(id))) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    expect(text).toMatch(/^event: events\ndata: \[/m);
    for (const id of accepted) expect(text).toContain(id);
  });

  it("answers 401 without the token, 404 for an unknown site and 400 for a bad window", async () => {
    expect((await get("/v1/admin/stats/obs", {})).status).toBe(401);
    expect((await get("/v1/admin/tail/obs", { authorization: "Bearer nope" })).status).toBe(401);
    const unknown = await get("/v1/admin/stats/nope");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ details: [{ path: "site" }] });
    const bad = await get("/v1/admin/stats/obs?minutes=0");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ details: [{ path: "minutes" }] });
    expect(await (await get("/v1/admin/stats")).json()).toMatchObject({ sites: expect.arrayContaining(["demo", "obs"]), unattributed: "_unknown" });
  });

  it("counts requests refused before any site is known under _unknown", async () => {
    const before = (await stats("_unknown")).totals.rejected.not_json ?? 0;
    expect((await post(null, { raw: "{not json" })).status).toBe(400);
    await eventually(async () => ((await stats("_unknown")).totals.rejected.not_json ?? 0) > before, { what: "the not_json rejection counted under _unknown", ms: 10_000, every: 200 });
  });
});

describe("Analytics Engine", () => {
  it("the consumer writes the data points of what it stored", async () => {
    const points: AnalyticsEngineDataPoint[] = [];
    const e = { ...env, METRICS: { writeDataPoint: (p: AnalyticsEngineDataPoint) => void points.push(p) } } as typeof env;
    const at = new Date(Date.now() - 3000).toISOString();
    const recs = [record({ site: "obs-ae", type: "page_view", received_at: at }), record({ site: "obs-ae", type: "page_view", received_at: at }), record({ site: "obs-ae", type: "search", props: { query: "x" }, received_at: at })];
    const chunk: FlushChunk = { v: 1, chunk: uid("chunk"), site: "obs-ae", records: recs };
    const batch = createMessageBatch("collector-events", [{ id: uid("m"), timestamp: new Date(Date.now() - 1500), attempts: 1, body: chunk }]);
    const ctx = createExecutionContext();
    await worker.queue!(batch as never, e, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(1);
    expect(points).toContainEqual({ indexes: ["obs-ae"], blobs: ["accepted", "page_view"], doubles: [2, 0] });
    expect(points).toContainEqual({ indexes: ["obs-ae"], blobs: ["accepted", "search"], doubles: [1, 0] });
    expect(points).toContainEqual({ indexes: ["obs-ae"], blobs: ["lake_events", ""], doubles: [3, 0] });
    const flush = points.find((p) => p.blobs![0] === "flush_lag_ms")!;
    expect(flush.doubles![0]).toBe(1);
    expect(flush.doubles![1]).toBeGreaterThan(1400); // sent 1.5 s after the first event
    expect(flush.doubles![1]).toBeLessThan(1600);
    expect(points.filter((p) => p.blobs![0] === "lake_lag_ms").reduce((n, p) => n + p.doubles![0]!, 0)).toBe(3);
    // The same numbers reach the collector's own window.
    expect((await stats("obs-ae")).totals).toMatchObject({ accepted: { page_view: 2, search: 1 }, lake_events: 3, lake_objects: 1, consumer_batches: 1, queue_messages: 1 });
  });

  it("the binding from wrangler.toml exists locally and accepts writes (Miniflare drops them)", () => {
    expect(typeof env.METRICS?.writeDataPoint).toBe("function");
    expect(() => env.METRICS!.writeDataPoint({ indexes: ["obs-ae"], blobs: ["requests", ""], doubles: [1, 0] })).not.toThrow();
  });
});

describe("dead-letter queue", () => {
  it("writes dead messages to R2 under deadletter/ and counts them", async () => {
    const recs = [record({ site: "obs-dlq" }), record({ site: "obs-dlq" })];
    const body: FlushChunk = { v: 1, chunk: uid("chunk"), site: "obs-dlq", records: recs };
    const msgs: { id: string; timestamp: Date; attempts: number; body: unknown }[] = [{ id: uid("m"), timestamp: new Date(), attempts: 11, body }, { id: uid("m"), timestamp: new Date(), attempts: 11, body: { garbage: true } }];
    const run = async () => {
      const batch = createMessageBatch("collector-events-dlq", msgs);
      const ctx = createExecutionContext();
      await worker.queue!(batch as never, env, ctx);
      return getQueueResult(batch, ctx);
    };
    const res = await run();
    expect(res.ackAll).toBe(true);
    const day = msgs[0]!.timestamp.toISOString().slice(0, 10);
    const list = await env.LAKE.list({ prefix: `deadletter/queue=collector-events-dlq/dt=${day}/` });
    const mine: { key: string; lines: any[] }[] = [];
    for (const o of list.objects) {
      const lines = (await gunzip((await env.LAKE.get(o.key))!.body)).trim().split("\n").map((l) => JSON.parse(l));
      if (lines.some((l) => l.message_id === msgs[0]!.id)) mine.push({ key: o.key, lines });
    }
    expect(mine).toHaveLength(1);
    expect(mine[0]!.lines.map((l: any) => l.message_id)).toEqual(msgs.map((m) => m.id));
    expect(mine[0]!.lines[0]).toMatchObject({ attempts: 11, queue: "collector-events-dlq", body: { chunk: body.chunk, records: [{ id: recs[0]!.id }, { id: recs[1]!.id }] } });
    // Delivered again: the same object, not a second one.
    await run();
    const again = await env.LAKE.list({ prefix: `deadletter/queue=collector-events-dlq/dt=${day}/` });
    expect(again.objects.filter((o) => o.key === mine[0]!.key)).toHaveLength(1);
    expect(again.objects.length).toBe(list.objects.length);
    const s = await stats("obs-dlq");
    expect(s.totals).toMatchObject({ deadletter_messages: 2, deadletter_events: 4, deadletter_batches: 2 });
    expect(s.queue.health).toBe("failing");
  });

  it("retries the batch when R2 refuses the write", async () => {
    const e = { ...env, LAKE: { put: async () => { throw new Error("injected: R2 down"); } } } as unknown as typeof env;
    const batch = createMessageBatch("collector-events-dlq", [{ id: uid("m"), timestamp: new Date(), attempts: 11, body: { v: 1, chunk: "c", site: "obs-dlq", records: [] } }]);
    const ctx = createExecutionContext();
    await worker.queue!(batch as never, e, ctx);
    const res = await getQueueResult(batch, ctx);
    expect(res.retryBatch.retry).toBe(true);
    expect(res.ackAll).toBe(false);
  });
});

describe("SiteStats window", () => {
  it("merges rows, keeps the newest tail entries, and deletes itself after its hour plus 26 h", async () => {
    const hour = hourOfMinute(minuteOf(Date.now()));
    const stub = env.STATS.get(env.STATS.idFromName(`obs-window:${hour}`));
    const m = String(hour * 60 + 5);
    await stub.add(hour, { [m]: { requests: 1, accepted: { page_view: 1 } } });
    await stub.add(hour, { [m]: { requests: 2, accepted: { search: 1 } } }, Array.from({ length: 250 }, (_, i) => ({ id: `e${i}`, type: "page_view", received_at: new Date().toISOString(), user: "u", path: "/", country: null, device: "desktop", bot: false })));
    expect(await stub.rows()).toEqual({ [m]: { requests: 3, accepted: { page_view: 1, search: 1 } } });
    const tail = await stub.latest(0, 500);
    expect(tail).toHaveLength(200);
    expect(tail.at(-1)!.entry.id).toBe("e249");
    const alarm = await runInDurableObject(stub, (_: SiteStats, state: DurableObjectState) => state.storage.getAlarm());
    expect(alarm).toBe((hour + 1) * 3_600_000 + 26 * 3_600_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.rows()).toEqual({});
    await stub.add(hour, { [m]: { requests: 1 } }); // still usable afterwards
    expect(await stub.rows()).toEqual({ [m]: { requests: 1 } });
  });
});
