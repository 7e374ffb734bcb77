/** Stored records of every event type, with the shapes the collector writes (for lake tests). */
import { EVENT_TYPES, type EventType, type StoredRecord } from "../schemas";
import { record } from "./records";

export const PROPS: Record<EventType, Record<string, unknown>> = {
  page_view: { url: "https://shop.example/p/sku-1", title: "Blue shoe", path: "/p/sku-1" },
  product_view: { product_id: "sku-1", category: "shoes", brand: "Acme", price: 59.9, currency: "EUR" },
  product_click: { product_id: "sku-2", category: "shoes", position: 3, list: "home" },
  add_to_cart: { product_id: "sku-1", quantity: 2, price: 59.9, currency: "EUR" },
  remove_from_cart: { product_id: "sku-1", quantity: 1 },
  purchase: { order_id: "o-1", revenue: 119.8, currency: "EUR", items: [{ product_id: "sku-1", quantity: 2, price: 59.9 }] },
  search: { query: "blue shoes", results_count: 12 },
  scroll_depth: { percent: 75 },
  engagement: { active_ms: 12_000, visible_ms: 30_000 },
  form_submit: { form_id: "newsletter" },
  click: { selector: "a.buy", text: "Buy", href: "/cart" },
  custom: { name: "Signed Up", properties: { plan: "pro", seats: 3, trial: true } },
  identify: { user_id: "u-1" },
  session_end: { session_id: "s-1", started_at: "2031-05-06T07:00:00.000Z", last_activity: "2031-05-06T07:20:00.000Z", duration_ms: 1_200_000, pages: 4, events: 9 },
  cart_abandoned: { items: [{ product_id: "sku-1", quantity: 1, price: 59.9, currency: "EUR" }], item_count: 1, value: { EUR: 59.9 }, cart_updated_at: "2031-05-06T07:10:00.000Z", idle_ms: 3_600_000 },
};

/** One record per event type in the hour of `at`, a second apart, with geo, bot score and a user on some. */
export function everyType(at = "2031-05-06T07:00:00.000Z", over: Partial<StoredRecord> = {}): StoredRecord[] {
  const base = Date.parse(at);
  return EVENT_TYPES.map((type, i) => {
    const t = new Date(base + i * 1000).toISOString();
    return record({
      type, props: PROPS[type], received_at: t, ts: t, client_ts: new Date(base + i * 1000 - 250).toISOString().replace("Z", "+00:00"), sent_at: t,
      user_id: i % 3 === 0 ? "u-1" : null, identity: i % 3 === 0 ? "asserted" : "none",
      geo: { country: "FR", region: "IDF", city: "Paris", postal_code: "75001", latitude: 48.86, longitude: 2.35, timezone: "Europe/Paris", continent: "EU", colo: "CDG", asn: 4_200_000_000, as_org: "Example AS" },
      page: { url: "https://shop.example/p/sku-1?utm_source=news&gclid=x", path: "/p/sku-1", referrer_host: "www.google.com", utm: { source: "news", medium: null, campaign: "winter", term: null, content: null }, campaign_params: { gclid: "x" } },
      ...(i % 2 ? { bot_score: 40 + i, bot_reasons: ["rate", "burst"] } : {}),
      ...over,
    });
  });
}
