import { describe, expect, it } from "vitest";
import { forStorage, live, mergeDecayed, mergeLive, topDecayed, totalDecayed, type DecayedList } from "./decayed";

const H = 3_600_000;
describe("decayed lists", () => {
  it("halves weights every half-life and adds new ones at their own time", () => {
    let l = mergeDecayed(null, { a: [4, 2] }, 0, H, 10);
    l = mergeDecayed(l, { a: [1, 0], b: [1, 1] }, H, H, 10);
    expect(l.t).toBe(H);
    expect(l.e).toEqual({ a: [3, 1], b: [1, 1] });
    l = mergeDecayed(l, { b: [2, 0] }, 0, H, 10); // late: counts as decayed to the list's time
    expect(l.e.b).toEqual([2, 1]);
    expect(topDecayed(l, 2 * H, H, 5)).toEqual([{ key: "a", w: 1.5, b: 0.5 }, { key: "b", w: 1, b: 0.5 }]);
    expect(totalDecayed(l, 3 * H, H)).toBeCloseTo(1.25);
  });
  it("keeps the strongest within the bound and drops negligible weights", () => {
    let l = mergeDecayed(null, {}, 0, H, 40);
    for (let i = 0; i < 500; i++) l = mergeDecayed(l, { [`k${i}`]: [i === 3 ? 50 : 1 + (i % 7), 0] }, i, H, 40);
    expect(Object.keys(l.e)).toHaveLength(40);
    expect(l.e.k3).toBeDefined();
    const aged = mergeDecayed(l, {}, 15 * H, H, 40);
    expect(Object.keys(aged.e)).toEqual(["k3"]); // 50 x 2^-15 > 0.001 > 7 x 2^-15
  });
  it("merges in place with the entries and, up to rounding, the weights of mergeDecayed", () => {
    // A seeded walk of merges: on time, late, after decay, over the bound, with ties at the bound.
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let copy: DecayedList | null = null;
    const mem = live({ t: 0, e: {} });
    let t = 0;
    for (let step = 0; step < 400; step++) {
      t += Math.floor(rnd() * 0.3 * H);
      const at = rnd() < 0.2 ? t - Math.floor(rnd() * H) : t; // some late additions
      const adds: Record<string, [number, number]> = {};
      for (let j = 0; j < 1 + Math.floor(rnd() * 8); j++) adds[`k${Math.floor(rnd() * 60)}`] = rnd() < 0.3 ? [1, 1] : [Math.round(rnd() * 4 * 100) / 100, 0];
      copy = mergeDecayed(copy, adds, at, H, 20);
      mergeLive(mem, adds, at, H, 20);
      expect(mem.t).toBe(copy.t);
      expect([...mem.e.keys()].sort(), `step ${step}`).toEqual(Object.keys(copy.e).sort());
      for (const [k, [w, b]] of Object.entries(copy.e)) {
        expect(Math.abs(mem.e.get(k)![0] - w)).toBeLessThanOrEqual(1e-4 * Math.max(1, w));
        expect(Math.abs(mem.e.get(k)![1] - b)).toBeLessThanOrEqual(1e-4 * Math.max(1, b));
      }
    }
    expect(mem.e.size).toBe(20);
    // What a reader sees, before and after a write: the same products, weights within the stored rounding.
    const before = topDecayed(mem, t, H, 5);
    const after = topDecayed(forStorage(mem), t, H, 5);
    expect(after.map((x) => x.key)).toEqual(before.map((x) => x.key));
    after.forEach((x, i) => expect(Math.abs(x.w - before[i]!.w)).toBeLessThanOrEqual(2e-5 * Math.max(1, x.w)));
    expect(live(forStorage(mem)).e.size).toBe(20);
  });
  it("keeps the earlier key of a tie at the bound, like a stable sort, and writes six decimals", () => {
    const l = mergeLive(live({ t: 0, e: { a: [2, 0], b: [1, 0], c: [1, 0] } }), { d: [1, 0] }, 0, H, 3);
    expect([...l.e.keys()]).toEqual(["a", "b", "c"]);
    expect(forStorage(live({ t: 5, e: { a: [1 / 3, 2 / 3] } }))).toEqual({ t: 5, e: { a: [0.333333, 0.666667] } });
    expect(JSON.stringify(forStorage(live({ t: 5, e: { a: [0.1 + 0.2, 1e-3] } })))).toBe('{"t":5,"e":{"a":[0.3,0.001]}}');
  });
});
