import { describe, expect, it } from "vitest";
import { EVENT_TYPES, propsByType } from "../../schemas";
import { KEYS, NUMERIC } from "../src/keys";

describe("the snippet's props table", () => {
  it("lists exactly the props keys of every event type in the schema", () => {
    expect(Object.keys(KEYS).sort()).toEqual([...EVENT_TYPES].sort());
    for (const t of EVENT_TYPES) expect(KEYS[t].split(" ").sort(), t).toEqual(Object.keys(propsByType[t].shape).sort());
  });

  it("converts the numeric props that data attributes can carry", () => {
    for (const k of ["position", "price", "quantity", "revenue", "results_count"]) expect(NUMERIC.test(k)).toBe(true);
    for (const k of ["product_id", "category", "order_id", "query", "list"]) expect(NUMERIC.test(k)).toBe(false);
  });
});
