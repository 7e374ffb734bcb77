import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { envelopeSchema, eventSchema, SERVER_EVENT_TYPES } from "../../schemas";
import { hostileValue, validEvent } from "../../test/fuzz/arbitraries";
import { parseEnvelope, toFieldErrors, validateEvents } from "./validate";

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

describe("validateEvents and parseEnvelope with the fast path (schemas/fast-parse.ts)", () => {
  // What they returned with zod alone, before the fast path: verdicts and error messages must not change.
  const zodOnlyEvents = (events: unknown[]) =>
    events.map((raw, index) => {
      const type = raw && typeof raw === "object" ? (raw as { type?: unknown }).type : undefined;
      if (typeof type === "string" && (SERVER_EVENT_TYPES as readonly string[]).includes(type)) return { index, rejected: "server type" };
      const r = eventSchema.safeParse(raw);
      return r.success ? { index, event: r.data } : { index, rejected: toFieldErrors(r.error.issues) };
    });
  const event = fc.oneof(
    { weight: 3, arbitrary: fc.record({ id: fc.constantFrom("e-1", "e 2", ""), ts: fc.constantFrom(ts, "2026-11-26T04:41:38+01:00", "yesterday") }).chain((h) => validEvent.map((e) => ({ ...h, ...e }))) },
    validEvent.chain((e) => fc.tuple(fc.constantFrom("props", "top"), fc.constantFrom("product_id", "url", "quantity", "percent", "extra", "__proto__"), hostileValue).map(([where, k, v]) => (where === "top" ? { id: "x", ts, ...e, [k]: v } : { id: "x", ts, ...e, props: { ...e.props, [k]: v } }))),
    hostileValue,
  );
  it("give the same verdicts, events and error messages as zod alone", () => {
    fc.assert(fc.property(fc.array(event, { minLength: 1, maxLength: 6 }), (events) => {
      const r = validateEvents(events);
      const expected = zodOnlyEvents(events);
      expect(r.valid).toEqual(expected.filter((x) => "event" in x));
      expect(r.rejected.map((x) => ({ index: x.index, rejected: x.errors[0]!.message.includes("made by the collector") ? "server type" : x.errors }))).toEqual(expected.filter((x) => "rejected" in x));
      const body = { site: "demo", anonymous_id: "a", sent_at: ts, context: { page_url: " https://shop.example/p " }, events };
      const env = parseEnvelope(body);
      const z = envelopeSchema.safeParse(body);
      expect(env).toEqual(z.success ? { ok: true, envelope: z.data } : { ok: false, details: toFieldErrors(z.error.issues) });
    }), { numRuns: 1000 });
  });
});

