import { describe, expect, it } from "vitest";
import type { ItemView, Neighbour } from "../../durable-objects/items/item-stats";
import type { RankingInput } from "../../durable-objects/items/ranking-input";
import type { RecOptions } from "./query";
import { candidatePool, poolOf, poolSize, rank, scoresOf, seedsOf, trendKeys, type RankArgs, type Signals, type TrendList } from "./rank";

const opts = (o: Partial<RecOptions> = {}): RecOptions => ({ limit: 10, context: null, category: null, exclude: [], includeCart: false, candidates: null, ...o });
const user = (o: Partial<RankingInput> = {}): RankingInput => ({ user_id: null, recent: [], categories: [], brands: [], cart: [], purchased: [], ...o });
const recent = (...ids: string[]) => ids.map((product_id, i) => ({ product_id, action: "view" as const, at: 1000 - i, category: null, brand: null }));
const item = (id: string, o: Partial<ItemView> = {}): ItemView => ({ id, category: null, brand: null, available: true, popularity: 1, learnt: null, catalog: null, ...o });
const nb = (...xs: [string, number, number?][]): Neighbour[] => xs.map(([id, w, b]) => ({ id, w, b: b ?? 0 }));

function run(a: Partial<RankArgs> & { opts?: RecOptions }) {
  const o = a.opts ?? opts();
  const neighbours = a.neighbours ?? new Map();
  const trends: TrendList[] = a.trends ?? [];
  const pool = a.pool ?? candidatePool(o, a.user ?? null, neighbours, trends, a.signals);
  return rank({ opts: o, pool, user: a.user ?? null, neighbours, trends, items: a.items ?? new Map(), ...(a.signals ? { signals: a.signals } : {}) });
}
const ids = (r: ReturnType<typeof run>) => r.items.map((i) => i.product_id);

describe("seeds and trending lists", () => {
  it("puts the context product first, then recent products newest first, five at most", () => {
    expect(seedsOf(user({ recent: recent("a", "b", "c", "d", "e", "f") }), "ctx")).toEqual([
      { id: "ctx", weight: 1 }, { id: "a", weight: 0.4 }, { id: "b", weight: 0.2 }, { id: "c", weight: 0.1 }, { id: "d", weight: 0.05 },
    ]);
    expect(seedsOf(user({ recent: recent("a", "b") }), "b").map((s) => s.id)).toEqual(["b", "a"]);
    expect(seedsOf(null, null)).toEqual([]);
  });
  it("reads site-wide (or the asked category's) trending, the context's category and two favourite categories", () => {
    const u = user({ categories: [{ key: "shoes", score: 3 }, { key: "bags", score: 2 }, { key: "hats", score: 1 }] });
    const names = (k: ReturnType<typeof trendKeys>) => k.map((x) => `${x.category}:${x.weight}`);
    expect(names(trendKeys(u, null))).toEqual(["null:0.5", "shoes:0.7", "bags:0.7"]);
    expect(names(trendKeys(u, "bags", "socks"))).toEqual(["bags:1", "socks:1", "shoes:0.7"]);
    expect(names(trendKeys(null, "hats", "hats"))).toEqual(["hats:1"]);
  });
});

describe("rank", () => {
  const neighbours = new Map([
    ["a", nb(["x", 10], ["y", 5, 4], ["bought", 4], ["cart", 3], ["gone", 3], ["a2", 1])],
    ["b", nb(["z", 8], ["x", 2])],
  ]);
  const items = new Map([
    ["gone", item("gone", { available: false })],
    ["x", item("x", { category: "shoes", brand: "Acme", catalog: { title: "Blue shoe", price: 59, currency: "EUR", available: true, updated_at: "t" } })],
    ["y", item("y", { category: "socks", learnt: { category: "socks", price: 5 } })],
  ]);
  const u = user({ recent: recent("a", "b"), cart: ["cart"], purchased: ["bought"] });

  it("ranks the neighbours of the newest products first, with reasons and catalogue fields", () => {
    const r = run({ user: u, neighbours, items });
    expect(r.strategy).toBe("personalized");
    // a is the newest (weight 1), b before it (0.4): x = 10/10 + 0.4 x 2/8, y = 5/10, z = 0.4 x 8/8
    expect(ids(r)).toEqual(["x", "y", "z", "a2"]);
    expect(r.items[0]).toMatchObject({ product_id: "x", reasons: ["viewed together with a"], title: "Blue shoe", price: 59, category: "shoes", brand: "Acme", available: true });
    expect(r.items[1]).toMatchObject({ product_id: "y", reasons: ["bought together with a"], category: "socks", price: 5 });
    expect(r.items[0]!.score).toBeCloseTo(1 + (0.4 * 2) / 8, 4);
  });

  it("never recommends a purchase, the context, an unavailable or excluded product, nor (by default) the cart", () => {
    const r = run({ user: u, neighbours, items, opts: opts({ context: "z", exclude: ["a2"] }) });
    for (const banned of ["bought", "gone", "z", "a2", "cart"]) expect(ids(r)).not.toContain(banned);
    expect(ids(run({ user: u, neighbours, items, opts: opts({ includeCart: true }) }))).toContain("cart");
    expect(new Set(ids(r)).size).toBe(ids(r).length);
  });

  it("keeps to limit and to the asked category", () => {
    expect(ids(run({ user: u, neighbours, items, opts: opts({ limit: 2 }) }))).toEqual(["x", "y"]);
    expect(ids(run({ user: u, neighbours, items, opts: opts({ category: "socks" }) }))).toEqual(["y"]);
  });

  it("explains affinities and trending, and lets them lift an item", () => {
    const liked = user({ recent: recent("a"), categories: [{ key: "shoes", score: 5 }], brands: [{ key: "Acme", score: 2 }] });
    const trends: TrendList[] = [{ category: null, items: [{ product_id: "t", score: 10 }] }, { category: "shoes", items: [{ product_id: "s", score: 4 }] }];
    const its = new Map([["s", item("s", { category: "shoes", brand: "Acme" })], ["t", item("t", { category: "hats" })]]);
    const r = run({ user: liked, neighbours: new Map([["a", nb(["n", 1])]]), trends, items: its });
    expect(r.items.find((i) => i.product_id === "s")!.reasons).toEqual(["you like shoes", "you like brand Acme", "trending in shoes"]);
    expect(r.items.find((i) => i.product_id === "t")!.reasons).toEqual(["trending in hats"]);
    expect(run({ trends: [{ category: null, items: [{ product_id: "u", score: 1 }] }] }).items[0]!.reasons).toEqual(["trending"]);
    expect(ids(r)[0]).toBe("n");
    expect(ids(r).indexOf("s")).toBeLessThan(ids(r).indexOf("t")); // liked beats merely trending
  });

  it("gives a person without a profile the trending items, per category when asked", () => {
    const trends: TrendList[] = [{ category: "shoes", items: [{ product_id: "s1", score: 4 }, { product_id: "h1", score: 3 }, { product_id: "s2", score: 1 }] }];
    const its = new Map([["s1", item("s1", { category: "shoes" })], ["s2", item("s2", { category: "shoes" })], ["h1", item("h1", { category: "hats" })]]);
    const r = run({ trends, items: its, opts: opts({ category: "shoes" }) });
    expect(r.strategy).toBe("trending");
    expect(ids(r)).toEqual(["s1", "s2"]);
    expect(r.items[0]!.reasons).toEqual(["trending in shoes"]);
    expect(run({ neighbours: new Map([["c", nb(["x", 1])]]), opts: opts({ context: "c" }) }).strategy).toBe("item_to_item");
  });

  it("re-ranks exactly the candidates it was given, ties in the given order", () => {
    const o = opts({ candidates: ["q", "bought", "z", "x", "r"], limit: 5 });
    const r = run({ user: u, neighbours, items, opts: o });
    expect(ids(r)).toEqual(["x", "z", "q", "r"]); // x 1.1, z 0.4, then no signal: as given
    expect(r.items[2]).toMatchObject({ product_id: "q", score: 0, reasons: [] });
  });

  it("reads attributes only for the best candidates, never for banned ones", () => {
    const many = new Map([["a", nb(...Array.from({ length: 30 }, (_, i) => [`n${i}`, 30 - i] as [string, number]), ["bought", 100])]]);
    const trends: TrendList[] = [{ category: null, weight: 0.5, items: Array.from({ length: 30 }, (_, i) => ({ product_id: `t${i}`, score: 30 - i })) }];
    const pool = candidatePool(opts({ limit: 5 }), u, many, trends);
    expect(pool).toHaveLength(40);
    expect(pool).not.toContain("bought");
    expect(pool.slice(0, 3)).toEqual(["n0", "n1", "n2"]);
    expect(pool).toContain("t0"); // the strongest trending ones make it too
    expect(candidatePool(opts({ candidates: ["c1", "bought"] }), u, many, trends)).toEqual(["c1", "bought"]); // re-rank: rank() filters
  });

  it("answers the same from scores computed once per request (the route's path) as from scratch", () => {
    const trends: TrendList[] = [{ category: null, weight: 0.5, items: [{ product_id: "t1", score: 9 }, { product_id: "x", score: 3 }, { product_id: "bought", score: 2 }] }];
    const all: Signals[] = [{ covisit: true, affinity: true, trending: true }, { covisit: false, affinity: true, trending: true }, { covisit: true, affinity: true, trending: false }];
    for (const signals of all) {
      for (const o of [opts(), opts({ context: "b", limit: 2 })]) {
        const scores = scoresOf(o, u, neighbours, trends, signals);
        const once = rank({ opts: o, pool: poolOf(scores, poolSize(o)), user: u, neighbours, trends, items, scores, signals });
        expect(once).toEqual(run({ user: u, neighbours, trends, items, opts: o, signals }));
        expect(once.items.length).toBeGreaterThan(0);
      }
    }
  });

  it("switches signals off one by one (the eval's ablation)", () => {
    const r = run({ user: u, neighbours, items, signals: { covisit: false, affinity: true, trending: true } });
    expect(r.items).toEqual([]);
  });
});
