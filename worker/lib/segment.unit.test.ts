import { describe, expect, it } from "vitest";
import { ECOMMERCE_EVENTS, eventIdOf, flatten, mapMessage, translatePath, type MapOptions, type MappedMessage, type RejectedMessage } from "./segment";

const NOW = Date.parse("2026-11-26T12:00:00.000Z");
const server: MapOptions = { site: "demo", kind: "server", receivedMs: NOW };
const browser: MapOptions = { site: "demo", kind: "browser", receivedMs: NOW, requestUserAgent: "UA" };
const ok = async (raw: unknown, o: MapOptions = server) => {
  const m = await mapMessage(raw, o);
  expect(m.ok, JSON.stringify((m as RejectedMessage).errors)).toBe(true);
  return m as MappedMessage;
};
const bad = async (raw: unknown, o: MapOptions = server) => {
  const m = await mapMessage(raw, o);
  expect(m.ok).toBe(false);
  return (m as RejectedMessage).errors;
};
const base = { messageId: "m-1", anonymousId: "a-1", timestamp: "2026-11-26T11:59:00.000Z" };
const tr = (event: string, properties: Record<string, unknown>) => ({ ...base, type: "track", event, properties });

describe("mapMessage: e-commerce spec", () => {
  it("maps each spec event to the collector's type and props", async () => {
    const cases: [string, Record<string, unknown>, string, Record<string, unknown>][] = [
      ["Product Viewed", { product_id: "p1", category: "c", brand: "b", price: 9.5, currency: "eur" }, "product_view", { product_id: "p1", category: "c", brand: "b", price: 9.5, currency: "EUR" }],
      ["Product Clicked", { product_id: 7, position: 2, list_id: "home" }, "product_click", { product_id: "7", position: 2, list: "home" }],
      ["Product Added", { sku: "s1", price: "10.00" }, "add_to_cart", { product_id: "s1", quantity: 1, price: 10 }],
      ["Product Removed", { product_id: "p1", quantity: 2 }, "remove_from_cart", { product_id: "p1", quantity: 2 }],
      ["Products Searched", { query: "shoes" }, "search", { query: "shoes" }],
      ["Order Completed", { order_id: "o1", total: 20, products: [{ sku: "s1" }, { product_id: "p2", quantity: 2, price: 5 }] }, "purchase", { order_id: "o1", revenue: 20, currency: "USD", items: [{ product_id: "s1", quantity: 1 }, { product_id: "p2", quantity: 2, price: 5 }] }],
      ["Completed Order", { order_id: "o2", revenue: 3, currency: "GBP", products: [{ product_id: "x" }] }, "purchase", { order_id: "o2", revenue: 3, currency: "GBP", items: [{ product_id: "x", quantity: 1 }] }],
    ];
    for (const [event, props, type, want] of cases) {
      const m = await ok(tr(event, props));
      expect(m.envelope.events[0], event).toEqual({ id: "m-1", type, ts: base.timestamp, props: want });
    }
  });

  it("lists every property it cannot store, and everything else becomes custom", async () => {
    const m = await ok(tr("Product Viewed", { product_id: "p1", name: "Shoe", image_url: "x" }));
    expect(m.ignored).toEqual(["properties.name", "properties.image_url"]);
    const c = await ok(tr("Coupon Applied", { coupon: { code: "X", value: 5 }, tags: ["a"], none: null }));
    expect(c.envelope.events[0]).toMatchObject({ type: "custom", props: { name: "Coupon Applied", properties: { "coupon.code": "X", "coupon.value": 5, tags: '["a"]' } } });
    expect(c.ignored).toEqual(["properties.none"]);
  });

  it("knows all six spec events", () => {
    expect(new Set(Object.values(ECOMMERCE_EVENTS))).toEqual(new Set(["product_view", "product_click", "add_to_cart", "remove_from_cart", "purchase", "search"]));
  });
});

describe("mapMessage: other types", () => {
  it("page -> page_view with url/title/path from properties, else context.page", async () => {
    const m = await ok({ ...base, type: "page", name: "Home", properties: { title: "T", referrer: "https://r.example/" }, context: { page: { url: "https://a.example/x?y=1", path: "/x" } } });
    expect(m.envelope.events[0]).toMatchObject({ type: "page_view", props: { title: "T", url: "https://a.example/x?y=1", path: "/x" } });
    expect(m.envelope.context).toMatchObject({ page_url: "https://a.example/x?y=1", referrer: "https://r.example/" });
    expect(m.ignored).toEqual(["name"]);
  });
  it("identify, group, alias and screen -> custom with their fields", async () => {
    const id = await ok({ ...base, type: "identify", userId: "u1", traits: { plan: "pro", address: { city: "Paris" } } });
    expect(id.envelope).toMatchObject({ user_id: "u1", anonymous_id: "a-1", events: [{ type: "custom", props: { name: "identify", properties: { plan: "pro", "address.city": "Paris" } } }] });
    const g = await ok({ ...base, type: "group", groupId: 12, traits: { size: 3 } });
    expect((g.envelope.events[0] as any).props).toEqual({ name: "group", properties: { group_id: "12", size: 3 } });
    const al = await ok({ messageId: "m-2", type: "alias", userId: "u1", previousId: "anon-old" });
    expect(al.envelope).toMatchObject({ user_id: "u1", anonymous_id: "anon-old", events: [{ props: { name: "alias", properties: { previous_id: "anon-old" } } }] });
    const sc = await ok({ ...base, type: "screen", name: "Home" });
    expect((sc.envelope.events[0] as any).props).toEqual({ name: "screen", properties: { screen_name: "Home" } });
    expect(await bad({ ...base, type: "group" })).toEqual([{ path: "groupId", message: expect.any(String) }]);
    expect(await bad({ messageId: "m", type: "alias", userId: "u" })).toEqual([{ path: "previousId", message: expect.any(String) }]);
  });
  it("uses userId as anonymous id when there is none, and needs one of them", async () => {
    const m = await ok({ type: "track", event: "E", userId: 99, messageId: "m" });
    expect(m.envelope).toMatchObject({ anonymous_id: "99", user_id: "99" });
    expect(await bad({ type: "track", event: "E" })).toEqual([{ path: "userId", message: expect.stringContaining("anonymousId") }]);
  });
  it("honours the endpoint's type over the body's", async () => {
    const m = await ok({ ...base, type: "identify", event: "E" }, { ...server, endpointType: "track" });
    expect((m.envelope.events[0] as any).props).toEqual({ name: "E" });
  });
});

describe("mapMessage: keys, time and limits", () => {
  it("browser keys: every message type, no backdating beyond 24 h, the request's user agent", async () => {
    for (const type of ["identify", "alias", "group"]) expect((await ok({ ...base, type, userId: "u", previousId: "p", groupId: "g" }, browser)).envelope.user_id, type).toBe("u");
    const m = await ok({ ...tr("E", {}), sentAt: "2026-11-26T12:00:00.000Z", context: { userAgent: "spoofed", location: { country: "FR" } } }, browser);
    expect(m.userAgent).toBe("UA");
    expect(m.location).toBeNull();
    expect((await bad({ ...tr("E", {}), timestamp: "2026-11-24T11:00:00.000Z", sentAt: "2026-11-26T12:00:00.000Z" }, browser))[0]).toMatchObject({ path: "timestamp" });
    expect(((await ok({ ...tr("E", {}), timestamp: "2026-11-24T11:00:00.000Z", sentAt: "2026-11-26T12:00:00.000Z" })).envelope.events[0] as any).ts).toBe("2026-11-24T11:00:00.000Z");
  });
  it("server keys: context.userAgent and context.location; never context.ip", async () => {
    const m = await ok({ ...tr("E", {}), context: { ip: "192.0.2.1", userAgent: "Mozilla/5.0", location: { country: "FR", city: "Paris", latitude: 48.8 }, timezone: "Europe/Paris" } });
    expect(m.userAgent).toBe("Mozilla/5.0");
    expect(m.location).toEqual({ country: "FR", city: "Paris", latitude: 48.8, timezone: "Europe/Paris" });
    expect(JSON.stringify(m.envelope)).not.toContain("192.0.2.1");
  });
  it("time: timestamp, else originalTimestamp, else sentAt (message, then batch), else now", async () => {
    expect(((await ok({ ...tr("E", {}), timestamp: undefined, originalTimestamp: "2026-11-26T10:00:00Z" })).envelope.events[0] as any).ts).toBe("2026-11-26T10:00:00Z");
    const noTs = await ok({ ...tr("E", {}), timestamp: undefined }, { ...server, batchSentAt: "2026-11-26T11:00:00.000Z" });
    expect(noTs.envelope).toMatchObject({ sent_at: "2026-11-26T11:00:00.000Z", events: [{ ts: "2026-11-26T11:00:00.000Z" }] });
    expect((await ok({ ...tr("E", {}), timestamp: undefined })).envelope.sent_at).toBe(new Date(NOW).toISOString());
    expect(await bad({ ...tr("E", {}), timestamp: "soon" })).toEqual([{ path: "timestamp", message: expect.any(String) }]);
    expect(await bad({ ...tr("E", {}), sentAt: 5 })).toEqual([{ path: "sentAt", message: expect.any(String) }]);
  });
  it("refuses a message over 32 KB and bad envelope fields by the sender's names", async () => {
    expect((await bad(tr("E", { b: "x".repeat(33_000) })))[0]).toMatchObject({ path: "(root)", message: expect.stringContaining("32 KB") });
    expect(await bad({ ...tr("E", {}), anonymousId: "x".repeat(200) })).toEqual([{ path: "anonymousId", message: expect.any(String) }]);
    expect(new Set((await bad({ ...tr("E", {}), context: { sessionId: "s".repeat(200) } })).map((e) => e.path))).toEqual(new Set(["context.sessionId"]));
    expect(await bad("str")).toEqual([{ path: "(root)", message: expect.any(String) }]);
  });
  it("drops (and reports) context fields that do not fit, instead of refusing the event", async () => {
    const m = await ok({ ...tr("E", {}), context: { page: { url: "not a url" }, locale: "en-GB", screen: { width: 1, height: 2 } } });
    expect(m.envelope.context).toEqual({ locale: "en-GB", screen: { w: 1, h: 2 } });
    expect(m.ignored).toEqual(["context.page.url"]);
  });
  it("reports unknown message fields, not Segment's known ones", async () => {
    const m = await ok({ ...tr("E", {}), integrations: {}, _metadata: {}, channel: "server", version: 2, bogus: 1 });
    expect(m.ignored).toEqual(["bogus"]);
  });
});

describe("event ids", () => {
  it("messageId when it fits, a stable hash otherwise, a content hash without one", async () => {
    expect(await eventIdOf({ messageId: "node-next-1-abc" })).toBe("node-next-1-abc");
    const long = await eventIdOf({ messageId: "x y/".repeat(30) });
    expect(long).toMatch(/^h:[0-9a-f]{40}$/);
    expect(await eventIdOf({ messageId: "x y/".repeat(30) })).toBe(long);
    const a = await eventIdOf({ event: "E", timestamp: "t" });
    expect(a).toBe(await eventIdOf({ event: "E", timestamp: "t" }));
    expect(a).not.toBe(await eventIdOf({ event: "E", timestamp: "u" }));
  });
});

describe("helpers", () => {
  it("translatePath uses the longest known prefix", () => {
    const p = { "props.items": "properties.products", "props.items[0].product_id": "properties.products[0].sku", ts: "timestamp" };
    expect(translatePath("props.items[0].product_id", p)).toBe("properties.products[0].sku");
    expect(translatePath("props.items[1].quantity", p)).toBe("properties.products[1].quantity");
    expect(translatePath("ts", p)).toBe("timestamp");
    expect(translatePath("other", p)).toBe("other");
  });
  it("flatten goes three levels deep, then keeps JSON", () => {
    const out: Record<string, unknown> = {};
    const ignored: string[] = [];
    flatten({ a: { b: { c: { d: { e: 1 } } } }, n: null }, "traits", out, ignored);
    expect(out).toEqual({ "a.b.c.d": '{"e":1}' });
    expect(ignored).toEqual(["traits.n"]);
  });
});
