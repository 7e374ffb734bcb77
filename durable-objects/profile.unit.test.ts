import { describe, expect, it } from "vitest";
import type { StoredRecord } from "../schemas";
import { applyEvent, bump, decay, emptyProfile, LIMITS, upgradeProfile, viewProfile, type Decayed, type Profile } from "./profile";

const H = 3_600_000;
const T0 = Date.parse("2026-11-26T10:00:00.000Z");
let n = 0;
function rec(type: StoredRecord["type"], props: Record<string, unknown>, atMs: number, over: Partial<StoredRecord> = {}): StoredRecord {
  const ts = new Date(atMs).toISOString();
  return {
    id: `e${n++}`, site: "demo", type, props, anonymous_id: "a-1", user_id: null, identity: "none", session_id: "s-1",
    client_ts: ts, sent_at: ts, received_at: ts, ts,
    page: { url: null, path: null, referrer_host: null, utm: { source: null, medium: null, campaign: null, term: null, content: null }, campaign_params: {} },
    geo: { country: "GB", region: null, city: null, postal_code: null, latitude: null, longitude: null, timezone: null, continent: null, colo: null, asn: null, as_org: null },
    ua: { browser: "Chrome", version: "131", os: "Windows 10", device_type: "desktop" },
    bot: false, locale: null, timezone: null, ...over,
  };
}

describe("decay and bump", () => {
  it("halves a score every half-life", () => {
    expect(decay({ s: 8, t: T0 }, T0 + 24 * H, 24 * H)).toBeCloseTo(4);
    expect(decay({ s: 8, t: T0 }, T0 + 72 * H, 24 * H)).toBeCloseTo(1);
    expect(decay({ s: 8, t: T0 }, T0 - H, 24 * H)).toBe(8); // never grows backwards
  });
  it("adds decayed weights, tolerates out-of-order events, keeps the strongest within the bound", () => {
    const t: Record<string, Decayed> = {};
    bump(t, "a", 2, T0, 24 * H);
    bump(t, "a", 2, T0 + 24 * H, 24 * H);
    expect(decay(t.a!, T0 + 24 * H, 24 * H)).toBeCloseTo(3);
    bump(t, "a", 4, T0, 24 * H); // a late event from T0 counts as decayed by one half-life
    expect(decay(t.a!, T0 + 24 * H, 24 * H)).toBeCloseTo(5);
    const big: Record<string, Decayed> = {};
    for (let i = 0; i < 200; i++) bump(big, `k${i}`, i === 7 ? 100 : 1, T0 + i, 24 * H, 50);
    expect(Object.keys(big)).toHaveLength(50);
    expect(big.k7).toBeDefined();
  });
});

describe("applyEvent", () => {
  it("out of session (a backend's event): counts and interests, no session", () => {
    let p = emptyProfile("demo", "a-1");
    p = applyEvent(p, rec("purchase", { order_id: "o-9", revenue: 20, currency: "EUR", items: [{ product_id: "sku-9", quantity: 1 }] }, T0, { session_id: null }), undefined, undefined, false);
    expect(p.counts.purchase).toBe(1);
    expect(p.sessions).toMatchObject({ count: 0, current: null, recent_ids: [] });
    p = applyEvent(p, rec("page_view", { path: "/" }, T0 + 1000, { session_id: null }));
    expect(p.sessions).toMatchObject({ count: 1, current: { events: 1 } });
  });

  it("counts, sessions, recents, affinities, cart, purchases, engagement, geo and device", () => {
    let p = emptyProfile("demo", "a-1");
    p = applyEvent(p, rec("page_view", { path: "/" }, T0));
    p = applyEvent(p, rec("product_view", { product_id: "sku-1", category: "shoes", brand: "Acme" }, T0 + 1000));
    p = applyEvent(p, rec("product_click", { product_id: "sku-2", category: "shoes" }, T0 + 2000));
    p = applyEvent(p, rec("product_view", { product_id: "sku-1", category: "shoes" }, T0 + 3000));
    p = applyEvent(p, rec("search", { query: "  Blue Shoes ", results_count: 3 }, T0 + 4000));
    p = applyEvent(p, rec("add_to_cart", { product_id: "sku-1", quantity: 1, price: 50, currency: "EUR" }, T0 + 5000));
    p = applyEvent(p, rec("add_to_cart", { product_id: "sku-1", quantity: 2 }, T0 + 6000));
    p = applyEvent(p, rec("add_to_cart", { product_id: "sku-3", quantity: 1 }, T0 + 6500));
    p = applyEvent(p, rec("remove_from_cart", { product_id: "sku-3" }, T0 + 6600));
    expect(p.cart.items).toEqual([{ product_id: "sku-1", quantity: 3, price: 50, currency: "EUR" }]);
    p = applyEvent(p, rec("scroll_depth", { percent: 75 }, T0 + 7000));
    p = applyEvent(p, rec("scroll_depth", { percent: 50 }, T0 + 7100));
    p = applyEvent(p, rec("engagement", { active_ms: 1500, visible_ms: 4000 }, T0 + 8000));
    p = applyEvent(p, rec("purchase", { order_id: "o-1", revenue: 150, currency: "EUR", items: [{ product_id: "sku-1", quantity: 3 }] }, T0 + 9000, { geo: { ...rec("click", {}, 0).geo, country: "FR" } }));

    expect(p.counts).toMatchObject({ page_view: 1, product_view: 2, product_click: 1, search: 1, add_to_cart: 3, remove_from_cart: 1, purchase: 1, scroll_depth: 2, engagement: 1 });
    expect(p.first_seen).toBe("2026-11-26T10:00:00.000Z");
    expect(p.last_seen).toBe("2026-11-26T10:00:09.000Z");
    expect(p.sessions).toMatchObject({ count: 1, current: { id: "s-1", pages: 1, events: 13 } });
    expect(p.recent_products.map((r) => [r.product_id, r.action])).toEqual([["sku-1", "purchase"], ["sku-3", "cart"], ["sku-2", "click"]]);
    expect(p.recent_searches).toEqual([{ query: "blue shoes", results_count: 3, at: "2026-11-26T10:00:04.000Z" }]);
    expect(p.cart.items).toEqual([]);
    expect(p.purchases).toEqual({ count: 1, revenue: { EUR: 150 }, last_order_ids: ["o-1"], product_ids: ["sku-1"] });
    expect(p.engagement).toMatchObject({ active_ms: 1500, visible_ms: 4000, max_scroll_depth: 75, avg_scroll_depth: 75 });
    expect(p.last_geo?.country).toBe("FR");
    expect(p.last_device?.browser).toBe("Chrome");
    const v = viewProfile(p, T0 + 9000, 24 * H);
    expect(v.affinities.products[0]!.key).toBe("sku-1"); // views 1 + 1, carts 4 + 4, purchase 8
    expect(v.affinities.products[0]!.score).toBeCloseTo(18, 2);
    // shoes: views 1 + 1, click 2, and sku-1's carts 4 + 4 and purchase 8 (category known from its view).
    expect(v.affinities.categories).toEqual([{ key: "shoes", score: expect.closeTo(20, 2) }]);
    expect(v.affinities.brands).toEqual([{ key: "Acme", score: expect.closeTo(18, 2) }]);
    expect(v.affinities.brands.map((b) => b.key)).toEqual(["Acme"]);
  });

  it("rolls sessions over on a new session id or 30 minutes without one, and ignores late events of old sessions", () => {
    let p = emptyProfile("demo", "a-1");
    p = applyEvent(p, rec("page_view", {}, T0, { session_id: null }));
    p = applyEvent(p, rec("page_view", {}, T0 + 29 * 60_000, { session_id: null }));
    expect(p.sessions.count).toBe(1);
    p = applyEvent(p, rec("page_view", {}, T0 + 60 * 60_000, { session_id: null }));
    expect(p.sessions.count).toBe(2);
    p = applyEvent(p, rec("page_view", {}, T0 + 61 * 60_000, { session_id: "s-9" }));
    expect(p.sessions).toMatchObject({ count: 3, current: { id: "s-9", pages: 1 } });
    p = applyEvent(p, rec("page_view", {}, T0 + 1000, { session_id: p.sessions.recent_ids[2]! }));
    expect(p.sessions.count).toBe(3);
    expect(p.sessions.current?.id).toBe("s-9");
  });

  it("averages scroll depth over pages (deepest milestone per page) and hides the accumulators", () => {
    let p = emptyProfile("demo", "a-1");
    p = applyEvent(p, rec("page_view", {}, T0));
    p = applyEvent(p, rec("scroll_depth", { percent: 25 }, T0 + 1));
    p = applyEvent(p, rec("scroll_depth", { percent: 100 }, T0 + 2));
    p = applyEvent(p, rec("page_view", {}, T0 + 3));
    p = applyEvent(p, rec("scroll_depth", { percent: 50 }, T0 + 4));
    p = applyEvent(p, rec("page_view", {}, T0 + 5)); // never scrolled: counts as 0
    expect(p.engagement).toMatchObject({ max_scroll_depth: 100, avg_scroll_depth: 50 });
    const v = viewProfile(p, T0);
    expect(Object.keys(v.engagement).sort()).toEqual(["active_ms", "avg_scroll_depth", "max_scroll_depth", "visible_ms"]);
  });

  it("keeps recents newest first with category and brand, and a late event does not displace a newer one", () => {
    let p = emptyProfile("demo", "a-1");
    p = applyEvent(p, rec("product_view", { product_id: "a", category: "shoes", brand: "Acme" }, T0));
    p = applyEvent(p, rec("product_click", { product_id: "b", category: "hats" }, T0 + 10));
    p = applyEvent(p, rec("product_click", { product_id: "a" }, T0 + 20));
    p = applyEvent(p, rec("product_view", { product_id: "b" }, T0 + 5)); // late
    expect(p.recent_products).toEqual([
      { product_id: "a", category: "shoes", brand: "Acme", action: "click", at: new Date(T0 + 20).toISOString() },
      { product_id: "b", category: "hats", brand: null, action: "click", at: new Date(T0 + 10).toISOString() },
    ]);
  });

  it("counts an order once when it is reported twice under different event ids", () => {
    let p = emptyProfile("demo", "a-1");
    const order = { order_id: "o-1", revenue: 30, currency: "EUR", items: [{ product_id: "a", quantity: 1 }] };
    p = applyEvent(p, rec("purchase", order, T0));
    p = applyEvent(p, rec("purchase", order, T0 + 1000));
    expect(p.purchases).toEqual({ count: 1, revenue: { EUR: 30 }, last_order_ids: ["o-1"], product_ids: ["a"] });
  });

  it("keeps a user's identity level and ignores an unverified claim", () => {
    let p = emptyProfile("demo", "u-1");
    p = applyEvent(p, rec("page_view", {}, T0, { user_id: "u-1", identity: "verified" }));
    expect(p).toMatchObject({ user_id: "u-1", identity: "verified" });
    let q = emptyProfile("demo", "a-1");
    q = applyEvent(q, rec("identify", { user_id: "someone-else" }, T0, { user_id: null, identity: "unverified" }));
    expect(q).toMatchObject({ user_id: null, identity: "none", counts: { identify: 1 } });
  });

  it("upgrades a profile stored by an older version", () => {
    const old = JSON.parse(JSON.stringify(emptyProfile("demo", "a-1"))) as Record<string, any>;
    delete old.identity;
    old.engagement = { active_ms: 5, visible_ms: 6, max_scroll_depth: 50 };
    old.cart = { items: [], updated_at: null };
    old.sessions = { count: 1, recent_ids: ["s"], current: null };
    old.recent_products = [{ product_id: "a", category: null, action: "view", at: new Date(T0).toISOString() }];
    const p = upgradeProfile(old as Profile);
    expect(p).toMatchObject({ identity: "none", cart: { abandoned_at: null }, sessions: { count: 1, last_ended: null, ended_duration_ms: 0 }, engagement: { active_ms: 5, avg_scroll_depth: 0, scroll: { pages: 0 } } });
    expect(p.recent_products[0]!.brand).toBeNull();
    expect(applyEvent(p, rec("scroll_depth", { percent: 25 }, T0)).engagement.avg_scroll_depth).toBe(25);
  });

  it("stays bounded however many events arrive", () => {
    let p = emptyProfile("demo", "a-1");
    for (let i = 0; i < 5000; i++) {
      p = applyEvent(p, rec("product_view", { product_id: `p${i}`, category: `c${i % 300}`, brand: `b${i % 120}` }, T0 + i * 1000, { session_id: `s${i}`, anonymous_id: `a${i % 40}` }));
      p = applyEvent(p, rec("search", { query: `q${i}` }, T0 + i * 1000 + 1));
      if (i % 2 === 0) p = applyEvent(p, rec("add_to_cart", { product_id: `p${i}`, quantity: 1 }, T0 + i * 1000 + 2));
      if (i % 10 === 0) p = applyEvent(p, rec("purchase", { order_id: `o${i}`, revenue: 1, currency: "EUR", items: [{ product_id: `p${i}`, quantity: 1 }] }, T0 + i * 1000 + 3));
    }
    expect(p.recent_products).toHaveLength(LIMITS.recentProducts);
    expect(p.recent_searches).toHaveLength(LIMITS.recentSearches);
    expect(Object.keys(p.affinities.products)).toHaveLength(LIMITS.affinities);
    expect(Object.keys(p.affinities.categories).length).toBeLessThanOrEqual(LIMITS.affinities);
    expect(p.anonymous_ids).toHaveLength(LIMITS.anonymousIds);
    expect(p.sessions.recent_ids).toHaveLength(LIMITS.sessionIds);
    expect(p.purchases.last_order_ids).toHaveLength(LIMITS.orderIds);
    expect(p.purchases.product_ids).toHaveLength(LIMITS.purchasedProducts);
    expect(p.cart.items.length).toBeLessThanOrEqual(LIMITS.cartLines);
    expect(JSON.stringify(p).length).toBeLessThan(32_000);
  });
});
