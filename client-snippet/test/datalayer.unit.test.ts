import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { eventSchema } from "../../schemas";
import { client } from "../src/client";
import { bridgeDataLayer, toCalls } from "../src/datalayer";
import type { Client } from "../src/types";
import { browserEnv } from "./browser-env";

const ALL = new Set(["view_item", "select_item", "add_to_cart", "remove_from_cart", "purchase", "search", "view_search_results", "sign_up", "newsletter_signup", "gtm.click", "page_view"]);
const map = (entry: unknown, consentType?: string) => toCalls(entry, ALL, consentType);
/** gtag(...) pushes its arguments object. */
function gtagArgs(..._a: unknown[]) {
  // eslint-disable-next-line prefer-rest-params
  return arguments;
}

let env: ReturnType<typeof browserEnv>;
beforeEach(() => {
  vi.useFakeTimers({ now: Date.parse("2026-11-26T10:00:00Z") });
  env = browserEnv();
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

/** What the real client sends for these dataLayer entries: the wire events, checked against the collector's schema. */
async function sent(entries: unknown[], consentType?: string) {
  const c = client({ site: "demo", endpoint: "https://collector.test/v1/collect", flushInterval: 10 });
  await vi.advanceTimersByTimeAsync(0);
  for (const e of entries) for (const call of map(e, consentType)) call[0] == "track" ? c.track(call[1], call[2]) : c.consent(call[1]);
  await c.flush();
  await vi.advanceTimersByTimeAsync(20);
  const events = env.events();
  for (const e of events) {
    const r = eventSchema.safeParse(e);
    expect(r.success, `${e.type}: ${JSON.stringify(r.error?.issues)}`).toBe(true);
  }
  return events.map((e) => ({ type: e.type, props: e.props }));
}

const ITEM = { item_id: "sku-1", item_name: "Blue runner", item_category: "shoes", item_brand: "Fleet", price: 59.9, quantity: 2, index: 3, item_list_name: "home" };

describe("GA4 e-commerce events -> collector types (GTM's dataLayer.push shape)", () => {
  it("view_item -> product_view of items[0]", async () => {
    const ev = { event: "view_item", ecommerce: { currency: "eur", value: 59.9, items: [ITEM, { item_id: "sku-2" }] } };
    expect(await sent([ev])).toEqual([{ type: "product_view", props: { product_id: "sku-1", category: "shoes", brand: "Fleet", price: 59.9, currency: "EUR" } }]);
  });

  it("select_item -> product_click with index as position and the list", async () => {
    const ev = { event: "select_item", ecommerce: { item_list_id: "related", items: [{ item_id: "sku-1", item_category: "shoes", index: 3 }] } };
    expect(await sent([ev])).toEqual([{ type: "product_click", props: { product_id: "sku-1", category: "shoes", position: 3, list: "related" } }]);
  });

  it("add_to_cart and remove_from_cart -> one event per item; quantity 1 when absent for add_to_cart only", async () => {
    const add = { event: "add_to_cart", ecommerce: { currency: "EUR", value: 99, items: [ITEM, { item_id: 42, price: "19.50" }] } };
    const remove = { event: "remove_from_cart", ecommerce: { items: [{ item_id: "sku-1", quantity: 1 }, { item_id: "sku-3" }] } };
    expect(await sent([add, remove])).toEqual([
      { type: "add_to_cart", props: { product_id: "sku-1", quantity: 2, price: 59.9, currency: "EUR" } },
      // Numeric ids and prices as strings are common in dataLayers.
      { type: "add_to_cart", props: { product_id: "42", quantity: 1, price: 19.5, currency: "EUR" } },
      { type: "remove_from_cart", props: { product_id: "sku-1", quantity: 1 } },
      { type: "remove_from_cart", props: { product_id: "sku-3" } },
    ]);
  });

  it("purchase -> purchase with transaction_id, value, currency and every item", async () => {
    const ev = { event: "purchase", ecommerce: { transaction_id: "T-1001", value: 139.8, tax: 20, shipping: 0, currency: "EUR", coupon: "WINTER", items: [ITEM, { item_id: "sku-9", price: 20 }] } };
    expect(await sent([ev])).toEqual([
      {
        type: "purchase",
        props: { order_id: "T-1001", revenue: 139.8, currency: "EUR", items: [{ product_id: "sku-1", quantity: 2, price: 59.9 }, { product_id: "sku-9", quantity: 1, price: 20 }] },
      },
    ]);
  });

  it("search and view_search_results -> search {query}", async () => {
    expect(await sent([{ event: "search", search_term: "boots" }, { event: "view_search_results", search_term: "red boots" }])).toEqual([
      { type: "search", props: { query: "boots" } },
      { type: "search", props: { query: "red boots" } },
    ]);
  });

  it("other configured events -> custom with the flat params only", async () => {
    const ev = { event: "sign_up", method: "google", step: 2, newsletter: true, nested: { a: 1 }, list: [1, 2], fn: () => 1, nan: NaN, nothing: null };
    expect(await sent([ev])).toEqual([{ type: "custom", props: { name: "sign_up", properties: { method: "google", step: 2, newsletter: true } } }]);
  });

  it("a configured name that is a collector type is still a custom event (page views come from the snippet)", () => {
    expect(map({ event: "page_view", page_path: "/x" })).toEqual([["track", "custom", { name: "page_view", properties: { page_path: "/x" } }]]);
  });
});

describe("gtag.js shape: gtag('event', name, params) pushes its arguments", () => {
  it("maps e-commerce params given at the top level", async () => {
    const entries = [
      gtagArgs("js", new Date()),
      gtagArgs("config", "G-XXXX"),
      gtagArgs("event", "add_to_cart", { currency: "USD", value: 10, items: [{ item_id: "sku-7", price: 10, quantity: 1 }] }),
      gtagArgs("event", "search", { search_term: "socks" }),
      gtagArgs("event", "purchase", { transaction_id: "T-2", value: 10, currency: "USD", items: [{ item_id: "sku-7" }] }),
      gtagArgs("event", "newsletter_signup", { plan: "weekly", send_to: "G-XXXX", event_callback: () => {}, event_timeout: 2000 }),
    ];
    expect(await sent(entries)).toEqual([
      { type: "add_to_cart", props: { product_id: "sku-7", quantity: 1, price: 10, currency: "USD" } },
      { type: "search", props: { query: "socks" } },
      { type: "purchase", props: { order_id: "T-2", revenue: 10, currency: "USD", items: [{ product_id: "sku-7", quantity: 1 }] } },
      { type: "custom", props: { name: "newsletter_signup", properties: { plan: "weekly" } } },
    ]);
  });
});

describe("what is never forwarded", () => {
  it("events that are not configured, GTM's own events and entries without an event", () => {
    const only = new Set(["add_to_cart", "gtm.click"]);
    expect(toCalls({ event: "view_item", ecommerce: { items: [ITEM] } }, only)).toEqual([]);
    expect(toCalls({ event: "gtm.click", "gtm.element": "a" }, only)).toEqual([]);
    for (const e of [{ event: "gtm.js", "gtm.start": 1 }, { event: "gtm.dom" }, { ecommerce: null }, { user_type: "member" }, null, undefined, 7, "add_to_cart", [], {}])
      expect(map(e), JSON.stringify(e)).toEqual([]);
    // The event list as a comma-separated string (data-events) is parsed by the bridge, tested below.
  });

  it("GTM internals and keys that name personal data", () => {
    const ev = { event: "sign_up", "gtm.uniqueEventId": 12, "gtm.start": 1, eventCallback: () => {}, eventTimeout: 2000, email: "x", user_email: "y", phone: "+44 20", password: "p", plan: "pro" };
    expect(map(ev)).toEqual([["track", "custom", { name: "sign_up", properties: { plan: "pro" } }]]);
  });

  it("anything that looks like an e-mail address, also URL-encoded", async () => {
    const entries = [
      { event: "sign_up", contact: "Jane <jane.doe@example.com>", ref: "https://x.example/?u=jane%40example.com", plan: "pro" },
      { event: "search", search_term: "jane.doe@example.com" },
      { event: "view_item", ecommerce: { items: [{ item_id: "jane@example.com" }] } },
      { event: "purchase", ecommerce: { transaction_id: "jane@example.com", value: 1, currency: "EUR", items: [{ item_id: "a" }] } },
      { event: "add_to_cart", ecommerce: { items: [{ item_id: "sku-1", item_brand: "me@brand.example" }] } },
    ];
    const out = await sent(entries);
    expect(out).toEqual([
      { type: "custom", props: { name: "sign_up", properties: { plan: "pro" } } },
      { type: "add_to_cart", props: { product_id: "sku-1", quantity: 1 } },
    ]);
    expect(JSON.stringify(env.sent)).not.toMatch(/jane|@brand/);
  });

  it("events missing what their type requires (no half events that the collector would reject)", () => {
    const p = { transaction_id: "T-1", value: 10, currency: "EUR", items: [{ item_id: "a" }] };
    expect(map({ event: "purchase", ecommerce: { ...p, currency: undefined } })).toEqual([]);
    expect(map({ event: "purchase", ecommerce: { ...p, currency: "euro" } })).toEqual([]);
    expect(map({ event: "purchase", ecommerce: { ...p, transaction_id: "" } })).toEqual([]);
    expect(map({ event: "purchase", ecommerce: { ...p, value: -1 } })).toEqual([]);
    expect(map({ event: "purchase", ecommerce: { ...p, items: [] } })).toEqual([]);
    expect(map({ event: "purchase", ecommerce: { ...p, items: [{ item_id: "a" }, { item_name: "no id" }] } })).toEqual([]);
    expect(map({ event: "purchase", ecommerce: p })).toHaveLength(1);
    expect(map({ event: "view_item", ecommerce: { items: [{ item_name: "no id" }] } })).toEqual([]);
    expect(map({ event: "view_item", ecommerce: { items: "sku-1" } })).toEqual([]);
    expect(map({ event: "add_to_cart", ecommerce: {} })).toEqual([]);
    expect(map({ event: "search" })).toEqual([]);
  });

  it("values out of range are left out, not sent to be rejected", async () => {
    const ev = { event: "add_to_cart", ecommerce: { currency: "EURO", items: [{ item_id: "sku-1", quantity: 1.5, price: -3 }, { item_id: "x".repeat(300), quantity: "3" }] } };
    expect(await sent([ev])).toEqual([
      { type: "add_to_cart", props: { product_id: "sku-1", quantity: 1 } },
      { type: "add_to_cart", props: { product_id: "x".repeat(128), quantity: 3 } },
    ]);
  });

  it("custom properties: at most 50, strings cut at 1,024, keys at most 128 characters", async () => {
    const params: Record<string, unknown> = { event: "sign_up", long: "y".repeat(2000), ["k".repeat(129)]: 1 };
    for (let i = 0; i < 60; i++) params[`p${i}`] = i;
    const [ev] = await sent([params]);
    const props = ev!.props as { properties: Record<string, unknown> };
    expect(Object.keys(props.properties)).toHaveLength(50);
    expect(props.properties.long).toBe("y".repeat(1024));
    expect(props.properties.p48).toBe(48);
    expect(props.properties.p49).toBeUndefined();
  });
});

describe("Google consent mode (consentType)", () => {
  it("passes the configured consent type's state on, and nothing without consentType", async () => {
    const def = gtagArgs("consent", "default", { ad_storage: "denied", analytics_storage: "denied" });
    const upd = gtagArgs("consent", "update", { analytics_storage: "granted" });
    const ads = gtagArgs("consent", "update", { ad_storage: "granted" });
    expect([def, upd, ads].flatMap((e) => map(e, "analytics_storage"))).toEqual([
      ["consent", "denied"],
      ["consent", "granted"],
    ]);
    expect([def, upd].flatMap((e) => map(e))).toEqual([]);
    // Denied: only the choice is sent; granted again: the choice and later events are.
    const buy = { event: "add_to_cart", ecommerce: { items: [{ item_id: "sku-1" }] } };
    const choice = (state: string) => ({ type: "custom", props: { name: "consent", properties: { state } } });
    expect(await sent([def, buy, upd, buy], "analytics_storage")).toEqual([choice("denied"), choice("granted"), { type: "add_to_cart", props: { product_id: "sku-1", quantity: 1 } }]);
  });
});

describe("bridgeDataLayer", () => {
  // ESM users pass the client from init(): checked by the type check (npm test).
  const _esmTarget: Parameters<typeof bridgeDataLayer>[0] = null as unknown as Client;
  void _esmTarget;

  const win = (o: Record<string, unknown> = {}) => {
    const w = { ...o } as Record<string, any>;
    vi.stubGlobal("window", w);
    return w;
  };
  const ADD = (id: string) => ({ event: "add_to_cart", ecommerce: { items: [{ item_id: id }] } });

  it("replays what is in the array, forwards later pushes, and keeps push's behaviour and return value", () => {
    const w = win({ dataLayer: [{ event: "gtm.js" }, ADD("early")] });
    const calls: unknown[][] = [];
    expect(bridgeDataLayer((...a) => calls.push(a), { events: "add_to_cart, purchase" })).toBe(true);
    expect(calls).toEqual([["track", "add_to_cart", expect.objectContaining({ product_id: "early" })]]);
    const dl = w.dataLayer as unknown[];
    expect(dl.push(ADD("late"), { event: "view_item" }, ADD("late-2"))).toBe(5);
    expect(dl).toHaveLength(5);
    expect(dl[4]).toEqual(ADD("late-2"));
    expect(calls.map((c) => (c[2] as { product_id: string }).product_id)).toEqual(["early", "late", "late-2"]);
  });

  it("wraps a push that was already replaced (GTM's), calling it and returning its answer", () => {
    const dl = [] as unknown as { push: (...a: unknown[]) => unknown };
    const seenByGtm: unknown[] = [];
    dl.push = (...a: unknown[]) => (seenByGtm.push(...a), "gtm's answer");
    win({ dataLayer: dl });
    const c = { track: vi.fn(), consent: vi.fn() };
    bridgeDataLayer(c, { events: ["add_to_cart"] });
    expect(dl.push(ADD("a"))).toBe("gtm's answer");
    expect(seenByGtm).toEqual([ADD("a")]);
    expect(c.track).toHaveBeenCalledWith("add_to_cart", expect.objectContaining({ product_id: "a", quantity: 1 }));
  });

  it("creates the array when missing, under a configured name", () => {
    const w = win();
    const calls: unknown[][] = [];
    bridgeDataLayer((...a) => calls.push(a), { events: "add_to_cart", layer: "shopLayer" });
    expect(Array.isArray(w.shopLayer)).toBe(true);
    w.shopLayer.push(ADD("x"));
    expect(calls).toHaveLength(1);
    expect(w.dataLayer).toBeUndefined();
  });

  it("bridges an array once: a second bridge (the tag fired twice) neither replays nor forwards twice", () => {
    const w = win({ dataLayer: [ADD("early")] });
    const calls: unknown[][] = [];
    const f = (...a: unknown[]) => calls.push(a);
    expect(bridgeDataLayer(f, { events: "add_to_cart" })).toBe(true);
    expect(bridgeDataLayer(f, { events: "add_to_cart" })).toBe(false);
    w.dataLayer.push(ADD("late"));
    expect(calls).toHaveLength(2);
  });

  it("never throws into the page: a failing client, a throwing getter, no window", () => {
    const w = win({ dataLayer: [] });
    bridgeDataLayer(
      () => {
        throw new Error("client failed");
      },
      { events: "add_to_cart,sign_up" },
    );
    expect(w.dataLayer.push(ADD("a"))).toBe(1);
    const hostile = { event: "sign_up", get boom() {
      throw new Error("getter");
    } };
    expect(() => w.dataLayer.push(hostile)).not.toThrow();
    expect(w.dataLayer).toHaveLength(2);
    vi.unstubAllGlobals();
    vi.stubGlobal("window", undefined);
    expect(bridgeDataLayer(() => {}, { events: "x" })).toBe(false);
  });

  it("end to end with the real client: pushes become wire events the collector accepts", async () => {
    const w = win({ dataLayer: [{ event: "view_item", ecommerce: { currency: "EUR", items: [ITEM] } }] });
    const c = client({ site: "demo", endpoint: "https://collector.test/v1/collect" });
    await vi.advanceTimersByTimeAsync(0);
    bridgeDataLayer(c, { events: ["view_item", "purchase"] });
    w.dataLayer.push({ event: "purchase", ecommerce: { transaction_id: "T-9", value: 59.9, currency: "EUR", items: [ITEM] } });
    // purchase is a priority event: sent within 250 ms.
    await vi.advanceTimersByTimeAsync(250);
    const events = env.events();
    expect(events.map((e) => e.type)).toEqual(["product_view", "purchase"]);
    for (const e of events) expect(eventSchema.safeParse(e).success).toBe(true);
  });
});
