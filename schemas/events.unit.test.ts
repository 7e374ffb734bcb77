import { describe, expect, it } from "vitest";
import { CLIENT_EVENT_TYPES, EVENT_TYPES, SERVER_EVENT_TYPES, eventSchema, serverEventSchema } from "./events";
import { envelopeSchema } from "./envelope";

const ts = "2026-11-26T04:41:38.900Z";
/** A valid and at least one invalid props object for every event type. */
const table: Record<string, { ok: Record<string, unknown>[]; bad: [Record<string, unknown>, string][] }> = {
  page_view: { ok: [{}, { url: "https://a.example/x", title: "T", path: "/x" }], bad: [[{ url: "not a url" }, "props.url"], [{ extra: 1 }, "props.extra"]] },
  product_view: { ok: [{ product_id: "sku-1", category: "shoes", brand: "Acme", price: 10.5, currency: "EUR" }], bad: [[{}, "props.product_id"], [{ product_id: "x", price: -1 }, "props.price"], [{ product_id: "x", currency: "eur" }, "props.currency"]] },
  product_click: { ok: [{ product_id: "sku-1", category: "shoes", position: 3, list: "home" }], bad: [[{ product_id: "" }, "props.product_id"], [{ product_id: "x", position: 1.5 }, "props.position"]] },
  add_to_cart: { ok: [{ product_id: "sku-1", quantity: 2, price: 5, currency: "GBP" }], bad: [[{ product_id: "x" }, "props.quantity"], [{ product_id: "x", quantity: 0 }, "props.quantity"], [{ product_id: "x", quantity: 1, price: Infinity }, "props.price"]] },
  remove_from_cart: { ok: [{ product_id: "sku-1" }, { product_id: "sku-1", quantity: 1 }], bad: [[{ quantity: 1 }, "props.product_id"]] },
  purchase: {
    ok: [{ order_id: "o-1", revenue: 99.9, currency: "USD", items: [{ product_id: "sku-1", quantity: 1, price: 99.9 }] }],
    bad: [[{ order_id: "o-1", revenue: 1, currency: "USD", items: [] }, "props.items"], [{ order_id: "o-1", revenue: -5, currency: "USD", items: [{ product_id: "a", quantity: 1 }] }, "props.revenue"], [{ order_id: "o-1", revenue: 1, currency: "USD", items: [{ product_id: "a", quantity: 1, color: "red" }] }, "props.items[0].color"]],
  },
  search: { ok: [{ query: "blue shoes", results_count: 12 }], bad: [[{ query: "" }, "props.query"], [{ query: "x".repeat(300) }, "props.query"]] },
  scroll_depth: { ok: [{ percent: 25 }, { percent: 100 }], bad: [[{ percent: 30 }, "props.percent"]] },
  engagement: { ok: [{ active_ms: 1000, visible_ms: 2000 }], bad: [[{ active_ms: -1, visible_ms: 0 }, "props.active_ms"]] },
  form_submit: { ok: [{ form_id: "newsletter" }], bad: [[{ form_id: "x", email: "a@b.c" }, "props.email"]] },
  click: { ok: [{}, { selector: "a.buy", text: "Buy", href: "/buy" }], bad: [[{ text: "x".repeat(300) }, "props.text"]] },
  custom: {
    ok: [{ name: "wishlist_add", properties: { sku: "a", n: 2, gift: true } }],
    bad: [[{ name: "x", properties: { nested: { a: 1 } } }, "props.properties.nested"], [{ name: "x", properties: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])) }, "props.properties"]],
  },
  identify: { ok: [{ user_id: "u-123" }], bad: [[{}, "props.user_id"], [{ user_id: "u", user_id_sig: "ab" }, "props.user_id_sig"], [{ user_id: "a\u0001" }, "props.user_id"]] },
};

describe("event schemas", () => {
  it("covers every client event type", () => {
    expect(Object.keys(table).sort()).toEqual([...CLIENT_EVENT_TYPES].sort());
    expect([...CLIENT_EVENT_TYPES, ...SERVER_EVENT_TYPES].sort()).toEqual([...EVENT_TYPES].sort());
  });
  it("has no client schema for server-generated types, and a strict server schema", () => {
    const end = { session_id: "s-1", started_at: ts, last_activity: ts, duration_ms: 1000, pages: 2, events: 5 };
    expect(eventSchema.safeParse({ id: "e", type: "session_end", ts, props: end }).success).toBe(false);
    expect(serverEventSchema.safeParse({ id: "e", type: "session_end", ts, props: end }).success).toBe(true);
    const cart = { items: [{ product_id: "a", quantity: 1, price: 2, currency: "EUR" }], item_count: 1, value: { EUR: 2 }, cart_updated_at: ts, idle_ms: 5 };
    expect(serverEventSchema.safeParse({ id: "e", type: "cart_abandoned", ts, props: cart }).success).toBe(true);
    expect(serverEventSchema.safeParse({ id: "e", type: "cart_abandoned", ts, props: { ...cart, extra: 1 } }).success).toBe(false);
  });
  for (const type of CLIENT_EVENT_TYPES) {
    it(`${type}: accepts valid props`, () => {
      for (const props of table[type]!.ok) {
        const r = eventSchema.safeParse({ id: "e-1", type, ts, props });
        expect(r.success, JSON.stringify(r.error?.issues)).toBe(true);
      }
    });
    it(`${type}: rejects invalid props at the failing field`, () => {
      for (const [props, path] of table[type]!.bad) {
        const r = eventSchema.safeParse({ id: "e-1", type, ts, props });
        expect(r.success).toBe(false);
        const paths = r.error!.issues.map((i) => [...i.path, ...(i.code === "unrecognized_keys" ? [i.keys[0]] : [])].map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "").replace(/\.\[/g, "["));
        expect(paths).toContain(path);
      }
    });
  }
  it("rejects unknown types, bad ids and bad timestamps", () => {
    expect(eventSchema.safeParse({ id: "e", type: "nope", ts, props: {} }).success).toBe(false);
    expect(eventSchema.safeParse({ id: "has space", type: "page_view", ts, props: {} }).success).toBe(false);
    expect(eventSchema.safeParse({ id: "x".repeat(65), type: "page_view", ts, props: {} }).success).toBe(false);
    expect(eventSchema.safeParse({ id: "e", type: "page_view", ts: "yesterday", props: {} }).success).toBe(false);
  });
});

describe("envelope schema", () => {
  const base = { site: "demo", anonymous_id: "a-1", sent_at: ts, events: [{}] };
  it("requires site, anonymous_id, sent_at and 1..100 events", () => {
    expect(envelopeSchema.safeParse(base).success).toBe(true);
    for (const k of ["site", "anonymous_id", "sent_at", "events"]) {
      const { [k]: _, ...rest } = base as Record<string, unknown>;
      expect(envelopeSchema.safeParse(rest).success, k).toBe(false);
    }
    expect(envelopeSchema.safeParse({ ...base, events: [] }).success).toBe(false);
    expect(envelopeSchema.safeParse({ ...base, events: Array(101).fill({}) }).success).toBe(false);
    expect(envelopeSchema.safeParse({ ...base, events: Array(100).fill({}) }).success).toBe(true);
  });
  it("is strict and bounds strings", () => {
    expect(envelopeSchema.safeParse({ ...base, ip: "1.2.3.4" }).success).toBe(false);
    expect(envelopeSchema.safeParse({ ...base, anonymous_id: "x".repeat(129) }).success).toBe(false);
    expect(envelopeSchema.safeParse({ ...base, site: "Demo Site" }).success).toBe(false);
    expect(envelopeSchema.safeParse({ ...base, context: { screen: { w: 1, h: 2 }, unknown: 1 } }).success).toBe(false);
    expect(envelopeSchema.safeParse({ ...base, user_id: "u", user_id_sig: "a".repeat(64) }).success).toBe(true);
    expect(envelopeSchema.safeParse({ ...base, user_id: "u", user_id_sig: "zz" }).success).toBe(false);
  });
});
