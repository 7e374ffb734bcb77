import { describe, expect, it } from "vitest";
import type { StoredRecord } from "../schemas";
import { mergeProfiles, scoreOf } from "./merge";
import { applyEvent, emptyProfile, LIMITS, type Profile } from "./profile";

const H = 3_600_000;
const HL = 24 * H;
const T0 = Date.parse("2026-11-26T10:00:00.000Z");
let n = 0;
function rec(type: StoredRecord["type"], props: Record<string, unknown>, atMs: number, over: Partial<StoredRecord> = {}): StoredRecord {
  const ts = new Date(atMs).toISOString();
  return {
    id: `m${n++}`, site: "demo", type, props, anonymous_id: "anon-1", user_id: null, identity: "none", session_id: "s-1",
    client_ts: ts, sent_at: ts, received_at: ts, ts,
    page: { url: null, path: null, referrer_host: null, utm: { source: null, medium: null, campaign: null, term: null, content: null }, campaign_params: {} },
    geo: { country: "GB", region: null, city: null, postal_code: null, latitude: null, longitude: null, timezone: null, continent: null, colo: null, asn: null, as_org: null },
    ua: { browser: "Chrome", version: "131", os: "Windows 10", device_type: "desktop" },
    bot: false, locale: null, timezone: null, ...over,
  };
}
const build = (id: string, recs: StoredRecord[]): Profile => recs.reduce((p, r) => applyEvent(p, r, HL), emptyProfile("demo", id));

describe("mergeProfiles", () => {
  const anon = build("anon-1", [
    rec("page_view", {}, T0),
    rec("search", { query: "boots" }, T0 + 1000),
    rec("product_view", { product_id: "sku-1", category: "shoes", brand: "Acme" }, T0 + 2000),
    rec("product_view", { product_id: "sku-2", category: "shoes" }, T0 + 3000),
    rec("scroll_depth", { percent: 50 }, T0 + 3500),
    rec("add_to_cart", { product_id: "sku-1", quantity: 1, price: 50, currency: "EUR" }, T0 + 4000),
    rec("engagement", { active_ms: 1000, visible_ms: 2000 }, T0 + 4500),
  ]);
  const u = (r: StoredRecord) => ({ ...r, user_id: "u-1", identity: "verified" as const });
  const user = build("u-1", [
    u(rec("identify", { user_id: "u-1" }, T0 + 5000)),
    u(rec("product_view", { product_id: "sku-1", category: "shoes" }, T0 + 6000)),
    u(rec("search", { query: "socks" }, T0 + 7000)),
  ]);

  it("adds counts and sums, interleaves recents by time, adds affinities, keeps the user's identity", () => {
    const m = mergeProfiles(user, anon, HL);
    expect(m).toMatchObject({ id: "u-1", user_id: "u-1", identity: "verified", first_seen: new Date(T0).toISOString(), last_seen: new Date(T0 + 7000).toISOString() });
    expect(m.anonymous_ids).toEqual(["anon-1"]);
    expect(m.counts).toMatchObject({ page_view: 1, identify: 1, product_view: 3, search: 2, add_to_cart: 1, scroll_depth: 1, engagement: 1 });
    expect(m.recent_products.map((r) => r.product_id)).toEqual(["sku-1", "sku-2"]);
    expect(m.recent_products[0]!.at).toBe(new Date(T0 + 6000).toISOString()); // the newer interaction wins
    expect(m.recent_searches.map((s) => s.query)).toEqual(["socks", "boots"]);
    // sku-1: anon view 1 + cart 4, user view 1 (all within seconds: no visible decay).
    expect(scoreOf(m.affinities.products, "sku-1", T0 + 7000, HL)).toBeCloseTo(6, 3);
    // shoes: anon views 1 + 1 and cart 4 (category known from the view), user view 1.
    expect(scoreOf(m.affinities.categories, "shoes", T0 + 7000, HL)).toBeCloseTo(7, 3);
    expect(Object.keys(m.affinities.brands)).toEqual(["Acme"]);
    expect(m.cart.items).toEqual([{ product_id: "sku-1", quantity: 1, price: 50, currency: "EUR" }]);
    expect(m.engagement).toMatchObject({ active_ms: 1000, visible_ms: 2000, max_scroll_depth: 50 });
    // One session seen by both objects counts once, with both halves' pages and events.
    expect(m.sessions.count).toBe(1);
    expect(m.sessions.current).toMatchObject({ id: "s-1", started_at: new Date(T0).toISOString(), last_activity: new Date(T0 + 7000).toISOString(), duration_ms: 7000, pages: 1, events: 10 });
    // The inputs are untouched.
    expect(user.counts.page_view).toBe(0);
  });

  it("decays both sides to the later time before adding", () => {
    const old = build("anon-2", [rec("product_view", { product_id: "sku-9" }, T0)]);
    const now = build("u-2", [rec("product_view", { product_id: "sku-9" }, T0 + HL)]);
    const m = mergeProfiles(now, old, HL);
    expect(scoreOf(m.affinities.products, "sku-9", T0 + HL, HL)).toBeCloseTo(1.5, 6);
  });

  it("combines carts line by line, purchases once per order, and stays bounded", () => {
    const a = build("anon-3", [
      rec("add_to_cart", { product_id: "x", quantity: 2 }, T0),
      rec("purchase", { order_id: "o-1", revenue: 10, currency: "EUR", items: [{ product_id: "y", quantity: 1 }] }, T0 + 1),
      rec("add_to_cart", { product_id: "x", quantity: 1 }, T0 + 2),
      ...Array.from({ length: 40 }, (_, i) => rec("product_view", { product_id: `a${i}`, category: `c${i}` }, T0 + 10 + i)),
    ]);
    const b = build("u-3", [
      rec("add_to_cart", { product_id: "x", quantity: 1, price: 3, currency: "EUR" }, T0 + 100),
      rec("purchase", { order_id: "o-2", revenue: 5, currency: "EUR", items: [{ product_id: "z", quantity: 1 }] }, T0 + 101),
      rec("add_to_cart", { product_id: "w", quantity: 1 }, T0 + 102),
      ...Array.from({ length: 40 }, (_, i) => rec("product_view", { product_id: `b${i}`, category: `d${i}` }, T0 + 200 + i)),
    ]);
    const m = mergeProfiles(b, a, HL);
    expect(m.cart.items).toEqual([{ product_id: "w", quantity: 1, price: null, currency: null }, { product_id: "x", quantity: 1, price: null, currency: null }]);
    expect(m.purchases).toEqual({ count: 2, revenue: { EUR: 15 }, last_order_ids: ["o-2", "o-1"], product_ids: ["z", "y"] });
    expect(m.recent_products).toHaveLength(LIMITS.recentProducts);
    expect(m.recent_products[0]!.product_id).toBe("b39");
    expect(Object.keys(m.affinities.products).length).toBeLessThanOrEqual(LIMITS.affinities);
    expect(Object.keys(m.affinities.categories).length).toBeLessThanOrEqual(LIMITS.affinities);
  });
});
