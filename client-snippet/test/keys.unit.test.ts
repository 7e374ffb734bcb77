import { describe, expect, it } from "vitest";
import { CLIENT_EVENT_TYPES, propsByType } from "../../schemas";
import { KEYS, NUMERIC } from "../src/keys";

describe("the snippet's props table", () => {
  it("lists exactly the props keys of every event type in the schema", () => {
    // Every type a client may send, except identify (the snippet puts user_id on the envelope).
    const types = CLIENT_EVENT_TYPES.filter((t) => t !== "identify");
    expect(Object.keys(KEYS).sort()).toEqual([...types].sort());
    for (const t of types) expect(KEYS[t].split(" ").sort(), t).toEqual(Object.keys(propsByType[t].shape).sort());
  });

  it("converts the numeric props that data attributes can carry", () => {
    for (const k of ["position", "price", "quantity", "revenue", "results_count"]) expect(NUMERIC.test(k)).toBe(true);
    for (const k of ["product_id", "category", "order_id", "query", "list"]) expect(NUMERIC.test(k)).toBe(false);
  });
});
