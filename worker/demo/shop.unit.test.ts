import { describe, expect, it } from "vitest";
import { catalogItemSchema, envelopeSchema, eventSchema } from "../../schemas";
import { catalogItems, MISSIONS, PRODUCTS, SHOPPERS, shopperEnvelopes } from "./shop";

describe("demo shop data", () => {
  it("keeps the first products the browser tests click by position", () => {
    expect(PRODUCTS.slice(0, 8).map((p) => `${p.id}:${p.category}`)).toEqual(["sku-1:shoes", "sku-2:shoes", "sku-3:shoes", "sku-4:bags", "sku-5:bags", "sku-6:hats", "sku-7:coats", "sku-8:hats"]);
    expect(new Set(PRODUCTS.map((p) => p.id)).size).toBe(PRODUCTS.length);
    for (const m of MISSIONS) for (const id of m) expect(PRODUCTS.some((p) => p.id === id), id).toBe(true);
  });

  it("its catalogue is what POST /v1/catalog takes", () => {
    const items = catalogItems("http://127.0.0.1:8787");
    expect(items).toHaveLength(PRODUCTS.length);
    for (const i of items) expect(catalogItemSchema.safeParse(i).success, i.product_id).toBe(true);
    expect(items[0]!.url).toBe("http://127.0.0.1:8787/demo/p/sku-1");
  });

  it("sends the same valid sessions every time: envelopes and events the collector accepts, with fixed ids", () => {
    const now = Date.parse("2026-11-30T12:00:00Z");
    const a = shopperEnvelopes("demo", now);
    expect(a).toHaveLength(SHOPPERS);
    expect(shopperEnvelopes("demo", now)).toEqual(a);
    const ids = a.flatMap((e) => e.events.map((x) => (x as { id: string }).id));
    expect(new Set(ids).size).toBe(ids.length);
    // Later seedings (other times) reuse the ids: the collector's dedup makes them no-ops.
    expect(shopperEnvelopes("demo", now + 3_600_000).flatMap((e) => e.events.map((x) => (x as { id: string }).id))).toEqual(ids);
    for (const env of a) {
      expect(envelopeSchema.safeParse(env).success).toBe(true);
      for (const e of env.events) expect(eventSchema.safeParse(e).success, JSON.stringify(e)).toBe(true);
      const ts = env.events.map((e) => (e as { ts: string }).ts);
      expect([...ts].sort()).toEqual(ts);
      expect(ts.at(-1)! <= env.sent_at).toBe(true);
      expect(Date.parse(env.sent_at)).toBeLessThanOrEqual(now);
    }
    // Every mission is browsed by several shoppers, 4-6 products each.
    const views = a.map((e) => e.events.filter((x) => (x as { type: string }).type === "product_view").length);
    expect(Math.min(...views)).toBeGreaterThanOrEqual(4);
    expect(Math.max(...views)).toBeLessThanOrEqual(6);
  });
});
