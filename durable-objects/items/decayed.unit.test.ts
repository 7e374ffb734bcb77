import { describe, expect, it } from "vitest";
import { mergeDecayed, topDecayed, totalDecayed } from "./decayed";

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
});
