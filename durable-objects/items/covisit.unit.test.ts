import { describe, expect, it } from "vitest";
import type { FlushChunk, StoredRecord } from "../../schemas";
import type { Profile } from "../profile";
import { fitDelta, itemDelta, MAX_MESSAGE_TOTAL_BYTES, touchesOf, withItemDeltas } from "./covisit";
import { ITEM_LIMITS } from "./tuning";

const T0 = Date.parse("2026-11-26T10:00:00.000Z");
let n = 0;
function rec(type: StoredRecord["type"], props: Record<string, unknown>, atMs: number): StoredRecord {
  const ts = new Date(atMs).toISOString();
  return {
    id: `e${n++}`, site: "demo", type, props, anonymous_id: "a-1", user_id: null, identity: "none", session_id: "s-1",
    client_ts: ts, sent_at: ts, received_at: ts, ts,
    page: { url: null, path: null, referrer_host: null, utm: { source: null, medium: null, campaign: null, term: null, content: null }, campaign_params: {} },
    geo: { country: null, region: null, city: null, postal_code: null, latitude: null, longitude: null, timezone: null, continent: null, colo: null, asn: null, as_org: null },
    ua: { browser: null, version: null, os: null, device_type: "desktop" }, bot: false, locale: null, timezone: null,
  };
}
const view = (id: string, at: number, extra: Record<string, unknown> = {}) => rec("product_view", { product_id: id, ...extra }, at);
type Recent = Profile["recent_products"];
/** Pairs as "from>to": weight, for readable assertions. */
const pairsOf = (d: NonNullable<ReturnType<typeof itemDelta>>) => Object.fromEntries(d.pairs.map(([a, b, w, bw]) => [`${d.products[a]!.id}>${d.products[b]!.id}`, [w, bw]]));

describe("touchesOf", () => {
  it("takes product interactions in event-time order, purchase items one by one", () => {
    const t = touchesOf([
      rec("purchase", { order_id: "o", revenue: 3, currency: "EUR", items: [{ product_id: "x", quantity: 1, price: 1 }, { product_id: "y", quantity: 2 }] }, T0 + 50),
      view("a", T0, { category: "shoes", brand: "Acme", price: 5, currency: "EUR" }),
      rec("page_view", { path: "/" }, T0 + 1),
      rec("add_to_cart", { product_id: "a", quantity: 1, price: 4, currency: "EUR" }, T0 + 20),
      rec("product_click", { product_id: "b", category: "bags" }, T0 + 10),
    ]);
    expect(t.map((x) => `${x.id}:${x.action}`)).toEqual(["a:view", "b:click", "a:cart", "x:purchase", "y:purchase"]);
    expect(t[0]).toMatchObject({ category: "shoes", brand: "Acme", price: 5, currency: "EUR" });
    expect(t[3]).toMatchObject({ price: 1, currency: "EUR" });
    expect(t[4]!.currency).toBeUndefined();
  });
});

describe("itemDelta", () => {
  it("weights a pair by 1/distance within the session, at most 5 distinct products back", () => {
    const recs = ["a", "b", "c", "d", "e", "f", "g"].map((id, i) => view(id, T0 + i * 1000));
    const p = pairsOf(itemDelta(recs, [])!);
    expect(p["f>g"]).toEqual([1, 0]);
    expect(p["e>g"]).toEqual([0.5, 0]);
    expect(p["b>g"]![0]).toBeCloseTo(0.2);
    expect(p["a>g"]).toBeUndefined(); // 6 back
    expect(p["g>a"]).toBeUndefined(); // pairs point forward: `to` followed `from`
    expect(Object.keys(p)).toHaveLength(1 + 2 + 3 + 4 + 5 + 5);
  });

  it("counts distance in distinct products: a product seen twice is one step", () => {
    const p = pairsOf(itemDelta([view("a", T0), view("b", T0 + 1), view("a", T0 + 2), view("c", T0 + 3)], [])!);
    expect(p["a>c"]).toEqual([1, 0]);
    expect(p["b>c"]).toEqual([0.5, 0]);
    expect(p["a>a"]).toBeUndefined();
  });

  it("stops at a session gap of more than 30 minutes", () => {
    const p = pairsOf(itemDelta([view("a", T0), view("b", T0 + ITEM_LIMITS.sessionGapMs + 1), view("c", T0 + ITEM_LIMITS.sessionGapMs + 2)], [])!);
    expect(p["a>b"]).toBeUndefined();
    expect(p["a>c"]).toBeUndefined();
    expect(p["b>c"]).toEqual([1, 0]);
  });

  it("pairs with products of earlier flushes from the profile, not with the chunk's own or later ones", () => {
    const history: Recent = [
      { product_id: "later", category: null, brand: null, action: "view", at: new Date(T0 + 5000).toISOString() },
      { product_id: "c", category: "shoes", brand: "Acme", action: "view", at: new Date(T0 + 1000).toISOString() }, // also in the chunk
      { product_id: "old", category: "hats", brand: "Hatco", action: "cart", at: new Date(T0 - 60_000).toISOString() },
    ];
    const d = itemDelta([view("c", T0 + 1000), rec("add_to_cart", { product_id: "d", quantity: 1 }, T0 + 2000)], history)!;
    const p = pairsOf(d);
    expect(p["old>c"]).toEqual([1, 0]);
    expect(p["c>d"]).toEqual([2, 0]); // cart counts double
    expect(p["old>d"]).toEqual([1, 0.5]); // carted together: the bought weight too
    expect(Object.keys(p).some((k) => k.includes("later"))).toBe(false);
    const old = d.products.find((x) => x.id === "old")!;
    expect(old).toEqual({ id: "old", w: 0, category: "hats", brand: "Hatco" }); // history only: no popularity
  });

  it("sums popularity weights and learns attributes, filling cart events from what views taught", () => {
    const d = itemDelta([view("a", T0, { category: "shoes", brand: "Acme", price: 50, currency: "EUR" }), rec("add_to_cart", { product_id: "a", quantity: 1, price: 45, currency: "EUR" }, T0), rec("purchase", { order_id: "o", revenue: 45, currency: "EUR", items: [{ product_id: "a", quantity: 1 }] }, T0 + 2)].map((r, i) => ({ ...r, ts: new Date(T0 + i).toISOString() })), [])!;
    expect(d.products).toEqual([{ id: "a", w: 1 + 4 + 8, category: "shoes", brand: "Acme", price: 45, currency: "EUR" }]);
    expect(d.pairs).toEqual([]);
    expect(d.at).toBe(T0 + 2);
  });

  it("has nothing to say about a chunk without product interactions", () => {
    expect(itemDelta([rec("page_view", {}, T0), rec("search", { query: "x" }, T0 + 1)], [])).toBeNull();
  });

  it("pairs the items of one order with each other as bought together", () => {
    const p = pairsOf(itemDelta([rec("purchase", { order_id: "o", revenue: 3, currency: "EUR", items: [{ product_id: "x", quantity: 1 }, { product_id: "y", quantity: 1 }, { product_id: "z", quantity: 1 }] }, T0)], [])!);
    expect(p["x>y"]).toEqual([3, 1]);
    expect(p["x>z"]).toEqual([1.5, 0.5]);
  });
});

describe("fitting the delta into the queue message", () => {
  const big = () => {
    const recs = Array.from({ length: 400 }, (_, i) => view(`product-${"x".repeat(100)}-${i}`, T0 + i));
    return itemDelta(recs, [])!;
  };
  it("drops the weakest pairs first, and everything only when even the products do not fit", () => {
    const d = big();
    const full = new TextEncoder().encode(JSON.stringify(d)).byteLength;
    const cut = fitDelta(d, Math.floor(full * 0.8))!;
    expect(new TextEncoder().encode(JSON.stringify(cut)).byteLength).toBeLessThanOrEqual(full * 0.8);
    expect(cut.pairs.length).toBeLessThan(d.pairs.length);
    expect(Math.min(...cut.pairs.map((p) => p[2]))).toBeGreaterThanOrEqual(Math.max(...d.pairs.filter((p) => !cut.pairs.includes(p)).map((p) => p[2])) - 1e-9);
    expect(fitDelta(d, 100)).toBeNull();
    expect(fitDelta(d, full)).toBe(d);
  });
  it("keeps every chunk of a flush within the message limit and counts the added bytes", () => {
    const records = Array.from({ length: 60 }, (_, i) => view(`p${i}`, T0 + i));
    const body: FlushChunk = { v: 1, chunk: "c1", site: "demo", records };
    const bytes = JSON.stringify(body).length;
    const [c] = withItemDeltas([{ bytes, body }], null);
    expect(c!.body.items!.products).toHaveLength(60);
    expect(c!.bytes).toBeGreaterThan(bytes);
    expect(JSON.stringify(c!.body).length).toBeLessThanOrEqual(c!.bytes);
    const [tight] = withItemDeltas([{ bytes: MAX_MESSAGE_TOTAL_BYTES - 500, body }], null);
    expect(tight!.body.items).toBeUndefined(); // no room: the records still go, the statistics do not
    const [off] = withItemDeltas([{ bytes, body }], null, false);
    expect(off!.body.items).toBeUndefined();
  });
});
