import { describe, expect, it } from "vitest";
import { backoffMs } from "./backoff";
import { splitBySize } from "./chunks";

describe("backoffMs", () => {
  it("doubles per attempt within [ceiling/2, ceiling] and caps", () => {
    expect(backoffMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffMs(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(backoffMs(4, 1000, 60_000, () => 1)).toBe(8000);
    expect(backoffMs(40, 1000, 60_000, () => 1)).toBe(60_000);
    expect(backoffMs(0, 1000, 60_000, () => 0)).toBe(500);
    for (let i = 0; i < 100; i++) {
      const d = backoffMs(3, 1000, 60_000);
      expect(d).toBeGreaterThanOrEqual(2000);
      expect(d).toBeLessThanOrEqual(4000);
    }
  });
});

describe("splitBySize", () => {
  it("keeps order, respects the byte and count limits, gives a big row its own run", () => {
    const rows = [10, 20, 30, 200, 5, 5, 5].map((bytes, i) => ({ i, bytes }));
    expect(splitBySize(rows, 60).map((r) => r.map((x) => x.i))).toEqual([[0, 1, 2], [3], [4, 5, 6]]);
    expect(splitBySize(rows, 1000, 2).map((r) => r.length)).toEqual([2, 2, 2, 1]);
    expect(splitBySize([], 10)).toEqual([]);
  });
});
