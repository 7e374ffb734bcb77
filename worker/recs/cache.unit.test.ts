import { describe, expect, it } from "vitest";
import { tuning } from "../../durable-objects/tuning";
import { ITEM_CACHE, SwrCache } from "./cache";

describe("SwrCache", () => {
  it("serves an entry until it is older than maxAgeMs, then forgets it", () => {
    const c = new SwrCache<string>(10, 2000, 5000);
    c.set("a", "A", 1000);
    expect(c.get("a", 1000)).toBe("A");
    expect(c.get("a", 6000)).toBe("A"); // 5,000 ms old: still served
    expect(c.get("a", 6001)).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it("keeps a cached null apart from a miss", () => {
    const c = new SwrCache<string | null>(10, 2000, 5000);
    c.set("gone", null, 0);
    expect(c.get("gone", 10)).toBeNull();
    expect(c.get("never", 10)).toBeUndefined();
  });

  it("reads again what was used since it was loaded, not what a miss loaded just now, and drops what nobody used", () => {
    const c = new SwrCache<number>(10, 2000, 5000);
    c.set("used-old", 1, 0);
    c.set("used-new", 2, 1500);
    c.set("unused-old", 3, 0);
    c.set("unused-new", 4, 1500);
    c.get("used-old", 1600);
    c.get("used-new", 1600);
    expect(c.sweep(2100).sort()).toEqual(["used-old"]);
    expect(c.get("unused-old", 2100)).toBeUndefined(); // dropped by the sweep
    expect(c.sweep(2100)).toEqual(["used-old"]); // not loaded again yet: still to read
    c.set("used-old", 10, 2100); // the refresh's value: unused again until read
    expect(c.sweep(2200)).toEqual([]);
    expect(c.get("unused-new", 2200)).toBe(4); // unused but younger than freshMs: kept
  });

  it("keeps a value read later than the one being set", () => {
    const c = new SwrCache<string>(10, 2000, 5000);
    c.set("a", "newer", 2000);
    c.set("a", "older", 1000);
    expect(c.get("a", 2000)).toBe("newer");
  });

  it("holds at most maxEntries, the oldest set first out", () => {
    const c = new SwrCache<number>(3, 2000, 5000);
    for (let i = 0; i < 5; i++) c.set(`k${i}`, i, i);
    expect(c.size).toBe(3);
    expect(c.get("k0", 5)).toBeUndefined();
    expect(c.get("k4", 5)).toBe(4);
  });

  it("never serves site-wide statistics so old that an event misses the contract's 15 s", () => {
    // the default flush interval + the consumer's max_batch_timeout (2 s, wrangler.toml) + a consumer run (< 1 s) + the cache
    expect(tuning({} as Env).flushIntervalMs + 2000 + 1000 + ITEM_CACHE.maxAgeMs).toBeLessThanOrEqual(15_000);
    expect(ITEM_CACHE.freshMs).toBeLessThan(ITEM_CACHE.maxAgeMs);
  });
});
