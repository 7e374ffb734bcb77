import { describe, expect, it } from "vitest";
import type { ItemDelta } from "../../schemas";
import { itemsObjectName, shardOf } from "./tuning";
import { chunksToApply, planItemUpdates, REVERSE } from "./updates";

const H = 3_600_000;
const T0 = Date.parse("2026-11-26T10:00:00.000Z");
const delta = (at: number, products: ItemDelta["products"], pairs: ItemDelta["pairs"] = []): ItemDelta => ({ at, products, pairs });

describe("planItemUpdates", () => {
  it("makes one update per shard and one per site, whatever the number of chunks", () => {
    const deltas = Array.from({ length: 100 }, (_, i) => ({ site: "s", items: delta(T0 + i, [{ id: `p${i % 37}`, w: 1 }, { id: `p${(i + 1) % 37}`, w: 1 }], [[0, 1, 1, 0]]) }));
    const plan = planItemUpdates(deltas, 4, 7 * 24 * H, 12 * H);
    expect(plan.shards.size).toBeLessThanOrEqual(4);
    expect([...plan.trends.keys()]).toEqual(["s"]);
    const products = [...plan.shards.values()].flatMap((u) => Object.keys(u.products));
    expect(new Set(products).size).toBe(products.length); // each product in exactly one update
    for (const [name, u] of plan.shards) for (const id of Object.keys(u.products)) expect(name).toBe(itemsObjectName("s", shardOf(id, 4)));
  });

  it("adds the forward pair in full to the earlier product, the reverse at REVERSE, and sums chunks", () => {
    const plan = planItemUpdates(
      [
        { site: "s", items: delta(T0, [{ id: "a", w: 1, category: "shoes" }, { id: "b", w: 4, brand: "Acme", price: 3, currency: "EUR" }], [[0, 1, 2, 1]]) },
        { site: "s", items: delta(T0, [{ id: "a", w: 2 }, { id: "b", w: 0 }], [[0, 1, 1, 0]]) },
        { site: "t", items: delta(T0, [{ id: "a", w: 5 }]) },
      ],
      1, H, H,
    );
    const s = plan.shards.get("s:0")!;
    expect(s.products.a).toEqual({ w: 3, category: "shoes", nb: { b: [3, 1] } });
    expect(s.products.b).toEqual({ w: 4, brand: "Acme", price: 3, currency: "EUR", nb: { a: [3 * REVERSE, REVERSE] } });
    expect(plan.trends.get("s")!.items).toEqual({ a: { w: 3, category: "shoes" }, b: { w: 4 } }); // b's w = 0 chunk adds nothing
    expect(plan.shards.get("t:0")!.products.a!.w).toBe(5);
  });

  it("decays older chunks to the newest time of their site", () => {
    const plan = planItemUpdates([{ site: "s", items: delta(T0, [{ id: "a", w: 8 }]) }, { site: "s", items: delta(T0 + H, [{ id: "a", w: 1 }]) }], 1, H, 2 * H);
    expect(plan.shards.get("s:0")!.at).toBe(T0 + H);
    expect(plan.shards.get("s:0")!.products.a!.w).toBeCloseTo(4 + 1);
    expect(plan.trends.get("s")!.items.a!.w).toBeCloseTo(8 / Math.SQRT2 + 1);
  });
});

describe("chunksToApply", () => {
  it("applies a chunk once: when all its partitions are settled and this run wrote one", () => {
    const apply = chunksToApply([
      ["new", "written"],
      ["spans", "written"], ["spans", "done"], // the other hour was written by an earlier run
      ["half", "written"], ["half", "failed"], // retried later: applied then
      ["busy", "written"], ["busy", "busy"],
      ["again", "done"], // a redelivery of a chunk already in the lake
    ]);
    expect([...apply].sort()).toEqual(["new", "spans"]);
  });
});
