import { describe, expect, it } from "vitest";
import { dropGraceMs } from "./outbox";

describe("dropGraceMs", () => {
  it("is 1.6 flush intervals, at least 1 s and at most 8 s (bench/drain.ts TRAILING_MS waits 9 s on that bound)", () => {
    expect(dropGraceMs(5000)).toBe(8000);
    expect(dropGraceMs(2000)).toBe(3200);
    expect(dropGraceMs(0)).toBe(1000);
    expect(dropGraceMs(500)).toBe(1000);
    expect(dropGraceMs(3_600_000)).toBe(8000);
    expect(dropGraceMs(Number.POSITIVE_INFINITY)).toBeLessThan(9000);
  });
});
