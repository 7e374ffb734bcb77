import { describe, expect, it } from "vitest";
import { envelopeSchema, eventSchema, MAX_BODY_BYTES } from "../../schemas";
import { pack, size } from "../src/pack";
import type { Batch, Head, WireEvent } from "../src/types";

const head = (over: Partial<Head> = {}): Head => ({ site: "demo", anonymous_id: "a1", session_id: "s1", context: { page_url: "https://shop.example/", title: "Home" }, ...over });
let n = 0;
const ev = (props: Record<string, unknown> = { path: "/" }, type = "page_view"): WireEvent => ({ id: `e-${n++}`, type: type as WireEvent["type"], ts: new Date().toISOString(), props });
const single = (h: Head, e: WireEvent): Batch => ({ h, e: [e] });
const SENT_AT = "2026-11-26T04:41:39.120Z";

function expectValid(body: string) {
  const json = JSON.parse(body);
  const env = envelopeSchema.safeParse(json);
  expect(env.success, JSON.stringify(env.error?.issues)).toBe(true);
  for (const e of json.events) expect(eventSchema.safeParse(e).success).toBe(true);
}

describe("pack (batching into envelopes)", () => {
  it("merges batches with the same head into one envelope and keeps event order", () => {
    const h = head();
    const evs = [ev(), ev(), ev()];
    const out = pack(evs.map((e) => single(h, e)), SENT_AT);
    expect(out).toHaveLength(1);
    const body = JSON.parse(out[0]![1]);
    expect(body.events.map((e: WireEvent) => e.id)).toEqual(evs.map((e) => e.id));
    expect(body.sent_at).toBe(SENT_AT);
    expect(body.site).toBe("demo");
    expectValid(out[0]![1]);
  });

  it("keeps events of different heads (page, user, session) in different envelopes", () => {
    const a = head();
    const b = head({ user_id: "u-1" });
    const c = head({ context: { page_url: "https://shop.example/p/sku-2" } });
    const out = pack([single(a, ev()), single(b, ev()), single(a, ev()), single(c, ev())], SENT_AT);
    expect(out.map(([bt]) => bt.e.length)).toEqual([2, 1, 1]);
    expect(out.map(([, body]) => JSON.parse(body).user_id)).toEqual([undefined, "u-1", undefined]);
  });

  it("puts at most 100 events in an envelope (the collector's limit)", () => {
    const h = head();
    const out = pack(Array.from({ length: 250 }, () => single(h, ev())), SENT_AT);
    expect(out.map(([b]) => b.e.length)).toEqual([100, 100, 50]);
    for (const [, body] of out) expectValid(body);
  });

  it("cuts envelopes under the byte budget, counting UTF-8 bytes, and loses no event", () => {
    const h = head();
    // ~1.9 KB of 3-byte and 4-byte characters per event: 25-35 events per 60 KB.
    const evs = Array.from({ length: 90 }, (_, i) => ev({ name: "note", properties: { text: "é€😀".repeat(200) + i } }, "custom"));
    const out = pack(evs.map((e) => single(h, e)), SENT_AT, 60_000);
    expect(out.length).toBeGreaterThan(1);
    for (const [b, body] of out) {
      expect(size(body)).toBeLessThanOrEqual(60_000);
      expect(new TextEncoder().encode(body).length).toBe(size(body));
      expect(JSON.parse(body).events).toEqual(b.e);
      expectValid(body);
    }
    expect(out.flatMap(([b]) => b.e.map((e) => e.id))).toEqual(evs.map((e) => e.id));
    // Full envelopes: nothing is cut much below the budget except the last one.
    for (const [, body] of out.slice(0, -1)) expect(size(body)).toBeGreaterThan(55_000);
  });

  it("stays under the 64 KiB body limit with the default budget", () => {
    const h = head();
    const evs = Array.from({ length: 100 }, () => ev({ name: "big", properties: { blob: "x".repeat(1000) } }, "custom"));
    for (const [, body] of pack(evs.map((e) => single(h, e)), SENT_AT)) expect(size(body)).toBeLessThan(MAX_BODY_BYTES);
  });

  it("drops an event that could never fit and sends the rest", () => {
    const h = head();
    const huge = ev({ name: "huge", properties: { blob: "x".repeat(70_000) } }, "custom");
    const ok = ev();
    const out = pack([single(h, huge), single(h, ok)], SENT_AT);
    expect(out.flatMap(([b]) => b.e.map((e) => e.id))).toEqual([ok.id]);
  });

  it("returns nothing for nothing", () => {
    expect(pack([], SENT_AT)).toEqual([]);
  });
});
