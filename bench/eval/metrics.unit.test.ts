import { describe, expect, it } from "vitest";
import { Popularity, rankOf, score } from "./metrics";
import { makeSession, makeShop, makeShoppers, rng, SIM } from "./shop";

describe("eval metrics", () => {
  it("ranks, hit rate and MRR", () => {
    expect(rankOf(["a", "b", "c"], "b")).toBe(2);
    expect(rankOf(["a", "b", "c"], "c", 2)).toBe(0);
    expect(score([1, 0, 2, 0])).toEqual({ n: 4, hit_rate: 0.5, mrr: (1 + 0.5) / 4 });
    expect(score([])).toEqual({ n: 0, hit_rate: 0, mrr: 0 });
  });
  it("popularity baselines leave out what they are told to, per group when asked", () => {
    const p = new Popularity();
    for (const [id, g, n] of [["a", "x", 5], ["b", "y", 4], ["c", "x", 3], ["d", "x", 1]] as const) p.add(id, g, n);
    expect(p.top(2, new Set(["a"]))).toEqual(["b", "c"]);
    expect(p.top(5, new Set(), "x")).toEqual(["a", "c", "d"]);
  });
});

describe("the simulated shop", () => {
  it("is deterministic, skewed and structured as documented", () => {
    const shop = makeShop(7);
    expect(shop.products).toHaveLength(SIM.categories * SIM.perCategory);
    expect(makeShop(7)).toEqual(shop);
    const shoppers = makeShoppers(shop, 300, 3, "s");
    const r = rng(5);
    const sessions = shoppers.map((s) => makeSession(shop, s, r));
    const views = sessions.flatMap((s) => s.steps.filter((x) => x.action === "view").map((x) => x.product));
    const counts = new Map<string, number>();
    for (const v of views) counts.set(v, (counts.get(v) ?? 0) + 1);
    const sorted = [...counts.values()].sort((a, b) => b - a);
    // Popularity skew: the top 5% of products get far more than 5% of views.
    expect(sorted.slice(0, Math.ceil(shop.products.length * 0.05)).reduce((a, b) => a + b, 0) / views.length).toBeGreaterThan(0.15);
    // Consecutive views stay in the same category about half the time (similar products).
    let same = 0, pairs = 0;
    for (const s of sessions) {
      const v = s.steps.filter((x) => x.action === "view").map((x) => x.product.replace(/-\d+$/, ""));
      for (let i = 1; i < v.length; i++, pairs++) if (v[i] === v[i - 1]) same++;
    }
    expect(same / pairs).toBeGreaterThan(0.4);
    expect(same / pairs).toBeLessThan(0.8);
    expect(sessions.some((s) => s.steps.some((x) => x.action === "purchase"))).toBe(true);
  });
});
