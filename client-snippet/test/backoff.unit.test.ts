import { describe, expect, it } from "vitest";
import { backoff } from "../src/backoff";

describe("backoff", () => {
  it("doubles from 1 s with equal jitter: between half the step and the step", () => {
    for (let n = 0; n < 8; n++) {
      const step = 1000 * 2 ** n;
      expect(backoff(n, 0)).toBe(step / 2);
      expect(backoff(n, 1)).toBe(step);
      expect(backoff(n, 0.5)).toBe(step * 0.75);
    }
  });

  it("is capped at 5 minutes however many attempts failed", () => {
    for (const n of [9, 10, 20, 100, 1000]) {
      expect(backoff(n, 1)).toBe(300_000);
      expect(backoff(n, 0)).toBe(150_000);
    }
  });

  it("spreads retries with Math.random when no number is given", () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoff(4)));
    expect(delays.size).toBeGreaterThan(40);
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(8000);
      expect(d).toBeLessThanOrEqual(16000);
    }
  });
});
