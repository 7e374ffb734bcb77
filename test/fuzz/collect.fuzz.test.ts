/**
 * Property-based fuzzing of POST /v1/collect in workerd (fast-check): hostile bodies never
 * cause a 5xx or an uncaught exception; every refusal is a 4xx JSON error naming the field;
 * valid events of a mixed batch are accepted and nothing of a rejected event is stored.
 */
import { env, exports } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hostileValue, id, money, sku, validEvent } from "./arbitraries";
import { onDisk } from "../object-state";

const NOW = () => new Date().toISOString();

/** Ways to break one event; each names the field it breaks. */
const breakEvent = fc.constantFrom(
  (e: any) => ({ ...e, props: { ...e.props, __proto__bad: 1, injected: { deep: [1, 2, 3] } } }),
  (e: any) => ({ ...e, type: "teleport" }),
  (e: any) => ({ ...e, ts: "2026-02-30T25:61:00Z" }),
  (e: any) => ({ ...e, props: "not an object" }),
  (e: any) => { const { props: _p, ...rest } = e; return rest; },
  (e: any) => ({ ...e, extra_field: true }),
  (e: any) => ({ ...e, id: "has spaces and is ".repeat(5) }),
  (e: any) => ({ ...e, type: "product_view", props: { product_id: 12345 } }),
  (e: any) => ({ ...e, type: "purchase", props: { order_id: "o", revenue: -1, currency: "eur", items: [] } }),
  (e: any) => ({ ...e, type: "scroll_depth", props: { percent: 33 } }),
  (e: any) => ({ ...e, type: "custom", props: { name: "x", properties: { nested: { a: 1 } } } }),
  (e: any) => JSON.parse(`{"id":"p-${Math.random().toString(36).slice(2)}","type":"page_view","ts":"${NOW()}","props":{"__proto__":{"polluted":true}}}`),
);

function envelope(events: unknown[], over: Record<string, unknown> = {}) {
  return { site: "demo", anonymous_id: `fuzz-${Math.random().toString(36).slice(2)}`, sent_at: NOW(), events, ...over };
}

async function post(body: string, contentType: string | null = "text/plain;charset=UTF-8") {
  const headers: Record<string, string> = {};
  if (contentType) headers["content-type"] = contentType;
  return exports.default.fetch(new Request("https://collector.test/v1/collect", { method: "POST", headers, body }));
}

/** The answer's shape for any input. */
async function checkAnswer(res: Response, eventsSent: number | null) {
  expect(res.status).toBeLessThan(500);
  expect([202, 400, 403, 413, 415]).toContain(res.status);
  const text = await res.text();
  const body = JSON.parse(text);
  if (res.status === 202) {
    expect(typeof body.accepted).toBe("number");
    if (eventsSent !== null) expect(body.accepted + body.duplicates + body.rejected.length).toBe(eventsSent);
    for (const r of body.rejected) for (const e of r.errors) expect(e.path.length).toBeGreaterThan(0);
  } else {
    expect(typeof body.error).toBe("string");
    expect(Array.isArray(body.details)).toBe(true);
    for (const d of body.details) {
      expect(typeof d.path).toBe("string");
      expect(d.path.length).toBeGreaterThan(0);
      expect(typeof d.message).toBe("string");
    }
    if (body.error === "invalid envelope" || body.error === "no valid events") expect(body.details.length).toBeGreaterThan(0);
  }
  return { status: res.status, body };
}

const hostileKey = fc.constantFrom("__proto__", "constructor", "prototype", "toString", "site", "events", "💥", "\u0000", "a".repeat(300));

/** Whole bodies: broken JSON, arbitrary JSON, mutated envelopes, truncations, floods. */
const hostileBody: fc.Arbitrary<{ body: string; type: string | null; events: number | null }> = fc.oneof(
  fc.string({ unit: "binary", maxLength: 200 }).map((s) => ({ body: s, type: "text/plain", events: null })),
  fc.jsonValue({ maxDepth: 4 }).map((v) => ({ body: JSON.stringify(v), type: "application/json", events: null })),
  fc.tuple(fc.array(validEvent, { minLength: 1, maxLength: 5 }), fc.nat()).map(([evs, cut]) => {
    const s = JSON.stringify(envelope(evs.map((e, i) => ({ id: `t${i}-${Math.random().toString(36).slice(2)}`, ts: NOW(), ...e }))));
    return { body: s.slice(0, cut % s.length), type: "text/plain", events: null };
  }),
  fc.tuple(fc.constantFrom("site", "anonymous_id", "user_id", "session_id", "sent_at", "context", "events", "__proto__", "constructor"), hostileValue).map(([k, v]) => {
    const env = envelope([{ id: `m-${Math.random().toString(36).slice(2)}`, type: "page_view", ts: NOW(), props: {} }]) as Record<string, unknown>;
    const text = JSON.stringify(env).replace(/^\{/, `{${JSON.stringify(k)}:${JSON.stringify(v) ?? "null"},`);
    return { body: text, type: "text/plain", events: null };
  }),
  fc.integer({ min: 1, max: 60_000 }).map((depth) => ({ body: "[".repeat(depth) + "]".repeat(depth), type: "application/json", events: null })),
  fc.integer({ min: 1, max: 2000 }).map((depth) => ({ body: JSON.stringify(envelope([{ id: "deep", type: "custom", ts: NOW(), props: { name: "x", properties: JSON.parse("{\"a\":".repeat(depth) + "1" + "}".repeat(depth)) } }])), type: "text/plain", events: 1 })),
  fc.integer({ min: 60_000, max: 80_000 }).map((n) => ({ body: JSON.stringify(envelope([{ id: "big", type: "search", ts: NOW(), props: { query: "q".repeat(n) } }])), type: "text/plain", events: 1 })),
  fc.integer({ min: 101, max: 300 }).map((n) => ({ body: JSON.stringify(envelope(Array.from({ length: n }, (_, i) => ({ id: `f${i}`, type: "page_view", ts: NOW(), props: {} })))), type: "text/plain", events: n })),
  fc.tuple(fc.constantFrom("multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "text/html", "image/png", null, "application/json; charset=utf-16"), validEvent).map(([type, e]) => ({ body: JSON.stringify(envelope([{ id: `ct-${Math.random().toString(36).slice(2)}`, ts: NOW(), ...e }])), type, events: 1 })),
  fc.tuple(hostileValue, hostileValue).map(([sent, ts]) => ({ body: JSON.stringify(envelope([{ id: `d-${Math.random().toString(36).slice(2)}`, type: "page_view", ts, props: {} }], { sent_at: sent })), type: "text/plain", events: 1 })),
);

describe("fuzzing POST /v1/collect", () => {
  it("answers 10,000 hostile bodies with a 2xx or a 4xx JSON error naming the field, never a 5xx", async () => {
    const statuses: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(hostileBody, async ({ body, type, events }) => {
        const { status } = await checkAnswer(await post(body, type), events);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }),
      { numRuns: 10_000 },
    );
    console.log(`fuzz: 10000 hostile bodies -> ${JSON.stringify(statuses)}`);
    expect(Object.keys(statuses).length).toBeGreaterThan(3);
  }, 300_000);

  it("accepts the valid events of mixed batches and stores nothing of the rejected ones", async () => {
    let total = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(validEvent, fc.option(breakEvent, { freq: 3 })), { minLength: 1, maxLength: 20 }), async (items) => {
        const events = items.map(([e, brk], i) => {
          const ev = { id: `mix-${i}-${Math.random().toString(36).slice(2, 10)}`, ts: NOW(), ...e };
          return brk ? brk(ev) : ev;
        });
        const validIdx = items.map(([, brk], i) => (brk ? -1 : i)).filter((i) => i >= 0);
        const body = envelope(events);
        const { status, body: answer } = await checkAnswer(await post(JSON.stringify(body)), null);
        if (validIdx.length === 0) {
          expect(status).toBe(400);
          return;
        }
        expect(status).toBe(202);
        expect(answer.accepted).toBe(validIdx.length);
        expect(answer.rejected.map((r: { index: number }) => r.index)).toEqual(items.map((_, i) => i).filter((i) => !validIdx.includes(i)));
        // Only the valid ids reached the user's object.
        const stub = env.PROFILES.get(env.PROFILES.idFromName(`demo:${body.anonymous_id}`));
        const stored = (await onDisk(stub)).seen;
        expect(stored.sort()).toEqual(validIdx.map((i) => (events[i] as { id: string }).id).sort());
        const profile = (await stub.getProfile())!;
        expect(Object.values(profile.counts).reduce((a, b) => a + b, 0)).toBe(validIdx.length);
        expect(JSON.stringify(profile)).not.toContain("polluted");
        total++;
      }),
      { numRuns: 300 },
    );
    expect(total).toBeGreaterThan(100);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 300_000);

  it("answers 3,000 hostile Segment-API requests with a 2xx or a 4xx JSON error, never a 5xx", async () => {
    const statuses: Record<number, number> = {};
    const message = fc.record({
      type: fc.constantFrom("track", "page", "identify", "alias", "group", "screen", "nonsense", 7),
      event: fc.oneof(fc.constantFrom("Product Viewed", "Order Completed", "Products Searched", "Product Added"), fc.string({ unit: "binary", maxLength: 30 })),
      messageId: fc.oneof(id, fc.string({ unit: "binary", maxLength: 80 }), fc.constant(null)),
      anonymousId: fc.oneof(fc.string({ maxLength: 20 }), hostileValue),
      userId: fc.option(fc.oneof(fc.string({ maxLength: 20 }), hostileValue)),
      properties: fc.oneof(fc.dictionary(fc.oneof(hostileKey, sku), hostileValue, { maxKeys: 6 }), hostileValue, fc.record({ product_id: sku, price: fc.oneof(money, fc.double()), quantity: hostileValue, products: fc.array(fc.dictionary(sku, hostileValue, { maxKeys: 3 }), { maxLength: 3 }) })),
      traits: fc.option(fc.dictionary(fc.oneof(hostileKey, sku), hostileValue, { maxKeys: 4 })),
      context: fc.option(fc.oneof(hostileValue, fc.record({ userAgent: fc.string({ maxLength: 30 }), page: fc.record({ url: fc.oneof(fc.webUrl(), fc.string()) }) }))),
      timestamp: fc.option(hostileValue),
    }, { requiredKeys: ["type"] });
    const request = fc.oneof(
      fc.array(message, { maxLength: 8 }).map((batch) => ({ path: "/v1/batch", body: JSON.stringify({ batch, sentAt: NOW() }) })),
      message.map((m) => ({ path: `/v1/${typeof m.type === "string" && /^[a-z]+$/.test(m.type) ? m.type : "track"}`, body: JSON.stringify(m) })),
      fc.string({ unit: "binary", maxLength: 200 }).map((body) => ({ path: "/v1/batch", body })),
      fc.jsonValue({ maxDepth: 4 }).map((v) => ({ path: "/v1/track", body: JSON.stringify(v) })),
    );
    await fc.assert(
      fc.asyncProperty(request, fc.constantFrom(`Basic ${btoa("test-server-key:")}`, `Basic ${btoa("nope:")}`, "Bearer x", ""), async ({ path, body }, auth) => {
        const headers: Record<string, string> = { "content-type": "application/json" };
        if (auth) headers.authorization = auth;
        const res = await exports.default.fetch(new Request(`https://collector.test${path}`, { method: "POST", headers, body }));
        expect(res.status).toBeLessThan(500);
        const answer = JSON.parse(await res.text());
        if (res.status >= 400) {
          expect(typeof answer.error).toBe("string");
          expect(Array.isArray(answer.details)).toBe(true);
        }
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      }),
      { numRuns: 3000 },
    );
    console.log(`fuzz segment: 3000 hostile requests -> ${JSON.stringify(statuses)}`);
    expect(statuses[200]).toBeGreaterThan(0);
  }, 300_000);
});
