import { describe, expect, it } from "vitest";
import { record } from "../test/records";
import { emptyBotState, gapVariation, scoreEvent, type BotState } from "./bot-score";

const T0 = Date.parse("2026-11-26T10:00:00.000Z");
const at = (ms: number, over: Parameters<typeof record>[0] = {}) => record({ ts: new Date(T0 + ms).toISOString(), ...over });
const human = { knownProducts: new Set(["sku-1"]), sessionPages: 1 };

function run(events: ReturnType<typeof record>[], h = human): BotState {
  return events.reduce((s, e) => scoreEvent(s, e, h), emptyBotState());
}

describe("gapVariation", () => {
  it("is 0 for a metronome and large for people", () => {
    expect(gapVariation([0, 1000, 2000, 3000, 4000])).toBe(0);
    expect(gapVariation([0, 800, 4000, 4300, 12000])).toBeGreaterThan(0.5);
    expect(gapVariation([0, 1])).toBe(Infinity);
  });
});

describe("scoreEvent", () => {
  it("leaves people browsing at human pace alone", () => {
    const gaps = [1200, 5300, 800, 14000, 2600, 9100, 700, 3300, 21000, 1900, 4400, 600, 7800, 2500, 12000];
    let t = 0;
    const s = run(gaps.map((g) => at((t += g))));
    expect(s.score).toBe(0);
    expect(s.reasons).toEqual([]);
  });

  it("flags machine-regular intervals", () => {
    const s = run(Array.from({ length: 20 }, (_, i) => at(i * 2000)));
    expect(s.reasons).toContain("regular");
    expect(s.score).toBeGreaterThanOrEqual(70);
  });

  it("flags a sustained event rate", () => {
    const s = run(Array.from({ length: 40 }, (_, i) => at(i * 300 + (i % 3) * 37)));
    expect(s.reasons).toContain("rate");
    expect(s.score).toBeGreaterThanOrEqual(70);
  });

  it("flags impossible sequences", () => {
    expect(run([at(0, { type: "engagement", props: { active_ms: 60_000, visible_ms: 1_000 } })]).reasons).toEqual(["sequence"]);
    expect(run([at(0, { type: "purchase", props: { order_id: "o", revenue: 1, currency: "EUR", items: [{ product_id: "never-seen", quantity: 1 }] } })]).reasons).toEqual(["sequence"]);
    expect(run([at(0, { type: "purchase", props: { order_id: "o", revenue: 1, currency: "EUR", items: [{ product_id: "sku-1", quantity: 1 }] } })]).reasons).toEqual([]);
    expect(run([at(0, { type: "scroll_depth", props: { percent: 100 } })], { ...human, sessionPages: 0 }).reasons).toEqual(["sequence"]);
  });

  it("takes a bot user agent as a strong signal, and decays when behaviour looks human", () => {
    const flagged = run([at(0, { bot: true })]);
    expect(flagged.score).toBe(80);
    let s = flagged;
    let t = 0;
    for (const g of [4000, 9000, 1500, 30000, 2500, 12000, 800, 6000, 17000, 3000, 5000, 26000, 1200, 9000, 4000]) s = scoreEvent(s, at((t += g)), human);
    expect(s.score).toBeLessThan(20);
  });

  it("keeps its state bounded", () => {
    const s = run(Array.from({ length: 500 }, (_, i) => at(i * 1000 + Math.random() * 900)));
    expect(s.times.length).toBe(32);
    expect(s.reasons.length).toBeLessThanOrEqual(5);
  });
});
