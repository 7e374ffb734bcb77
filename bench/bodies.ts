/** Realistic /v1/collect beacons for the load generator and the CPU bench. Pure and cheap. */

export const BENCH_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const CATEGORIES = ["shoes", "bags", "shirts", "jackets", "hats", "socks", "watches", "belts"];

/**
 * The i-th event of a browsing session: mostly views and clicks, some carts and searches.
 * `offset` shifts which products a beacon touches (0: the same ten in every beacon).
 */
export function benchEvent(id: string, i: number, ts: string, offset = 0): Record<string, unknown> {
  const sku = `sku-${(i * 7919 + offset) % 500}`;
  const category = CATEGORIES[i % CATEGORIES.length];
  switch (i % 10) {
    case 0:
      return { id, type: "page_view", ts, props: { path: `/c/${category}`, title: `All ${category}` } };
    case 1:
    case 2:
    case 5:
      return { id, type: "product_view", ts, props: { product_id: sku, category, brand: "acme", price: 49.9 + (i % 7), currency: "EUR" } };
    case 3:
    case 6:
      return { id, type: "product_click", ts, props: { product_id: sku, category, position: i % 12, list: "search" } };
    case 4:
      return { id, type: "search", ts, props: { query: `blue ${category}`, results_count: 24 } };
    case 7:
      return { id, type: "add_to_cart", ts, props: { product_id: sku, quantity: 1, price: 59.9, currency: "EUR" } };
    case 8:
      return { id, type: "scroll_depth", ts, props: { percent: 75 } };
    default:
      return { id, type: "engagement", ts, props: { active_ms: 12_000, visible_ms: 15_000 } };
  }
}

export interface BeaconSpec {
  site: string;
  user: string;
  events: number;
  /** Unique per run and beacon: event ids are `${prefix}-${k}`. */
  prefix: string;
  now?: number;
  /** Products of this beacon: see benchEvent. */
  offset?: number;
}

export function beacon(s: BeaconSpec): Record<string, unknown> {
  const now = s.now ?? Date.now();
  const sent_at = new Date(now).toISOString();
  const events = [];
  for (let k = 0; k < s.events; k++) events.push(benchEvent(`${s.prefix}-${k}`, k, new Date(now - (s.events - k) * 150).toISOString(), s.offset));
  return {
    site: s.site,
    anonymous_id: s.user,
    session_id: `s-${s.user}`,
    sent_at,
    context: {
      page_url: "https://shop.example/p/sku-1?utm_source=news&utm_medium=email&utm_campaign=winter",
      referrer: "https://www.google.com/",
      title: "Blue shoe",
      locale: "en-GB",
      timezone: "Europe/London",
      screen: { w: 1440, h: 900 },
    },
    events,
  };
}

/** Which user a request goes to: one of `hot` users, or one of `distinct` users at random. */
export function pickUser(mode: { users: number }, seq: number, rand: () => number = Math.random): string {
  return mode.users <= 16 ? `hot-${seq % mode.users}` : `u-${Math.floor(rand() * mode.users)}`;
}
