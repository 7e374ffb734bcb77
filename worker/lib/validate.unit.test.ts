import { describe, expect, it } from "vitest";
import { parseEnvelope, validateEvents } from "./validate";

const ts = "2026-11-26T04:41:38.900Z";

describe("validateEvents", () => {
  it("splits a batch into valid events and rejections with index, id, path and message", () => {
    const r = validateEvents([
      { id: "a", type: "page_view", ts, props: {} },
      { id: "b", type: "product_click", ts, props: { category: "shoes" } },
      { id: "c", type: "purchase", ts, props: { order_id: "o", revenue: 1, currency: "EUR", items: [{ product_id: "p", quantity: 1, secret: 1 }] } },
      "not an object",
    ]);
    expect(r.valid.map((v) => v.index)).toEqual([0]);
    expect(r.rejected).toEqual([
      { index: 1, id: "b", errors: [{ path: "props.product_id", message: expect.any(String) }] },
      { index: 2, id: "c", errors: [{ path: "props.items[0].secret", message: "unknown field" }] },
      { index: 3, id: null, errors: [{ path: "(root)", message: expect.any(String) }] },
    ]);
  });
  it("names the discriminator when the type is unknown", () => {
    const r = validateEvents([{ id: "a", type: "teleport", ts, props: {} }]);
    expect(r.rejected[0]!.errors[0]!.path).toBe("type");
  });
  it("refuses the collector's own event types from clients, naming the type", () => {
    const r = validateEvents([
      { id: "a", type: "session_end", ts, props: { session_id: "s", started_at: ts, last_activity: ts, duration_ms: 0, pages: 0, events: 1 } },
      { id: "b", type: "cart_abandoned", ts, props: {} },
      { id: "c", type: "identify", ts, props: { user_id: "u-1" } },
    ]);
    expect(r.valid.map((v) => v.index)).toEqual([2]);
    expect(r.rejected).toEqual([
      { index: 0, id: "a", errors: [{ path: "type", message: expect.stringContaining("clients may not send") }] },
      { index: 1, id: "b", errors: [{ path: "type", message: expect.stringContaining("cart_abandoned is made by the collector") }] },
    ]);
  });
});

describe("parseEnvelope", () => {
  it("reports every failing envelope field", () => {
    const r = parseEnvelope({ site: "demo", events: [], sent_at: "x", extra: true });
    expect(r.ok).toBe(false);
    const paths = !r.ok ? r.details.map((d) => d.path).sort() : [];
    expect(paths).toEqual(["anonymous_id", "events", "extra", "sent_at"]);
  });
  it("keeps the events unparsed for per-event validation", () => {
    const r = parseEnvelope({ site: "demo", anonymous_id: "a", sent_at: ts, events: [{ nonsense: true }] });
    expect(r.ok).toBe(true);
  });
});
