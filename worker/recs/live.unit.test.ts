import { describe, expect, it } from "vitest";
import { coalesced, frameType, listKey, sseFrame } from "./live";

describe("listKey", () => {
  it("changes with the strategy, the products and their order, not with scores or reasons", () => {
    const a = { strategy: "personal", items: [{ product_id: "a", score: 1, reasons: ["x"] }, { product_id: "b", score: 0.5, reasons: [] }] };
    expect(listKey({ ...a, items: a.items.map((i) => ({ ...i, score: i.score / 2, reasons: ["y"] })) })).toBe(listKey(a));
    expect(listKey({ ...a, items: [...a.items].reverse() })).not.toBe(listKey(a));
    expect(listKey({ ...a, items: a.items.slice(1) })).not.toBe(listKey(a));
    expect(listKey({ ...a, strategy: "trending" })).not.toBe(listKey(a));
    // Ids with the separator in them do not collide with two ids.
    expect(listKey({ strategy: "s", items: [{ product_id: "a,b" }] })).not.toBe(listKey({ strategy: "s", items: [{ product_id: "a" }, { product_id: "b" }] }));
  });
});

describe("frameType", () => {
  it("reads the type of the object's frames, and nothing from anything else", () => {
    expect(frameType('{"type":"merged","seq":3,"profile":{"into":"u-1"}}')).toBe("merged");
    expect(frameType('{"type":"profile","seq":1}')).toBe("profile");
    expect(frameType("pong")).toBe("");
    expect(frameType('{"type":7}')).toBe("");
    expect(frameType(new ArrayBuffer(2))).toBe("");
  });
});

describe("sseFrame", () => {
  it("is one event block", () => {
    expect(sseFrame("recommendations", '{"a":1}')).toBe('event: recommendations\ndata: {"a":1}\n\n');
  });
});

describe("coalesced", () => {
  it("runs at most one task at a time and one more for every burst of calls during a run", async () => {
    let runs = 0;
    let active = 0;
    let maxActive = 0;
    const gates: (() => void)[] = [];
    const task = coalesced(async () => {
      runs++;
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise<void>((r) => gates.push(r));
      active--;
    });
    const first = task();
    // Ten calls while the first run is busy: one more run, not ten.
    const during = Array.from({ length: 10 }, () => task());
    await Promise.resolve();
    expect(runs).toBe(1);
    gates.shift()!();
    await new Promise((r) => setTimeout(r, 0));
    expect(runs).toBe(2);
    gates.shift()!();
    await Promise.all([first, ...during]);
    expect(runs).toBe(2);
    expect(maxActive).toBe(1);
    // Idle again: the next call runs at once.
    const next = task();
    expect(runs).toBe(3);
    gates.shift()!();
    await next;
  });

  it("a failing task does not block later calls", async () => {
    let n = 0;
    const task = coalesced(async () => {
      n++;
      if (n === 1) throw new Error("boom");
    });
    await expect(task()).rejects.toThrow("boom");
    await task();
    expect(n).toBe(2);
  });
});
