/**
 * Realistic stored records for the lake bench, generated deterministically (seeded PRNG): one
 * shop's day, visitors with sessions, a Zipf-like catalogue, the event mix of an e-commerce site,
 * geo and user agents as the collector enriches them. Ids are UUIDs, as browsers make them.
 */
import type { EventType, StoredRecord } from "../schemas";
import { mulberry32 } from "../worker/lib/random";

export const prng = mulberry32;

const MIX: [EventType, number][] = [
  ["page_view", 30], ["product_view", 22], ["product_click", 10], ["scroll_depth", 12], ["engagement", 6], ["add_to_cart", 5],
  ["remove_from_cart", 1], ["search", 4], ["click", 4], ["purchase", 1], ["form_submit", 0.5], ["custom", 2], ["identify", 0.5],
  ["session_end", 1.5], ["cart_abandoned", 0.5],
];
const CITIES = [
  ["FR", "IDF", "Paris", "75001", 48.86, 2.35, "Europe/Paris", "EU", "CDG", 3215, "Orange"],
  ["GB", "ENG", "London", "EC1A", 51.51, -0.13, "Europe/London", "EU", "LHR", 2856, "BT"],
  ["DE", "BE", "Berlin", "10115", 52.52, 13.4, "Europe/Berlin", "EU", "TXL", 3320, "Deutsche Telekom AG"],
  ["US", "CA", "San Francisco", "94103", 37.77, -122.42, "America/Los_Angeles", "NA", "SFO", 7922, "Comcast"],
  ["US", "NY", "New York", "10001", 40.71, -74.0, "America/New_York", "NA", "EWR", 701, "Verizon"],
  ["JP", "13", "Tokyo", "100-0001", 35.68, 139.69, "Asia/Tokyo", "AS", "NRT", 2516, "KDDI"],
] as const;
const UAS = [
  { browser: "Chrome", version: "131.0.0.0", os: "Windows 10", device_type: "desktop" },
  { browser: "Mobile Safari", version: "17.5", os: "iOS 17.5", device_type: "mobile" },
  { browser: "Chrome", version: "131.0.0.0", os: "Android 14", device_type: "mobile" },
  { browser: "Safari", version: "17.5", os: "Mac OS 10.15.7", device_type: "desktop" },
  { browser: "Firefox", version: "133.0", os: "Linux", device_type: "desktop" },
  { browser: "Mobile Safari", version: "17.5", os: "iOS 17.5", device_type: "tablet" },
] as const;
const CATEGORIES = ["shoes", "shirts", "trousers", "jackets", "bags", "hats", "socks", "watches", "belts", "scarves", "dresses", "skirts"];
const SOURCES = [null, null, null, "news", "google", "facebook", "instagram"];
const QUERIES = ["blue shoes", "rain jacket", "leather bag", "wool scarf", "running socks", "summer dress", "gift", "sale"];

export interface LakeDataOptions {
  events: number;
  day: string; // YYYY-MM-DD
  visitors: number;
  products: number;
  seed?: number;
}

export function* generateRecords(o: LakeDataOptions): Generator<StoredRecord> {
  const rnd = prng(o.seed ?? 17);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join("");
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  const total = MIX.reduce((a, [, w]) => a + w, 0);
  const type = (): EventType => {
    let x = rnd() * total;
    for (const [t, w] of MIX) if ((x -= w) < 0) return t;
    return "page_view";
  };
  // Zipf-like popularity: product k with weight 1/k.
  const product = () => `sku-${Math.min(o.products, Math.floor(Math.exp(rnd() * Math.log(o.products + 1))))}`;
  const visitors = Array.from({ length: o.visitors }, (_, i) => ({
    anon: uuid(), user: i % 4 === 0 ? `u-${i}` : null, city: pick(CITIES), ua: pick(UAS), locale: pick(["en-GB", "fr-FR", "de-DE", "en-US", "ja-JP"]), session: uuid(),
  }));
  const start = Date.parse(`${o.day}T00:00:00.000Z`);
  const step = 86_400_000 / o.events;
  for (let i = 0; i < o.events; i++) {
    const v = visitors[Math.floor(Math.pow(rnd(), 1.5) * visitors.length)]!; // some visitors far more active
    if (rnd() < 0.02) v.session = uuid();
    const t = type();
    const p = product();
    const cat = CATEGORIES[Number(p.slice(4)) % CATEGORIES.length]!;
    const price = Math.round((5 + (Number(p.slice(4)) % 200) * 1.5) * 100) / 100;
    const props: Record<string, unknown> =
      t === "page_view" ? { url: `https://shop.example/p/${p}`, path: `/p/${p}`, title: `Product ${p}` }
      : t === "product_view" ? { product_id: p, category: cat, brand: "Acme", price, currency: "EUR" }
      : t === "product_click" ? { product_id: p, category: cat, position: Math.floor(rnd() * 24), list: pick(["home", "search", "related"]) }
      : t === "add_to_cart" ? { product_id: p, quantity: 1 + Math.floor(rnd() * 3), price, currency: "EUR" }
      : t === "remove_from_cart" ? { product_id: p, quantity: 1 }
      : t === "purchase" ? { order_id: `o-${hex(10)}`, revenue: price * 2, currency: "EUR", items: [{ product_id: p, quantity: 2, price }] }
      : t === "search" ? { query: pick(QUERIES), results_count: Math.floor(rnd() * 200) }
      : t === "scroll_depth" ? { percent: pick([25, 50, 75, 90, 100]) }
      : t === "engagement" ? { active_ms: Math.floor(rnd() * 60_000), visible_ms: Math.floor(rnd() * 120_000) }
      : t === "form_submit" ? { form_id: pick(["newsletter", "contact", "login"]) }
      : t === "click" ? { selector: "a.nav", text: pick(["Home", "Sale", "Cart"]), href: "/" }
      : t === "custom" ? { name: pick(["Signed Up", "Coupon Applied", "Video Played"]), properties: { plan: pick(["free", "pro"]), seats: 1 + Math.floor(rnd() * 5) } }
      : t === "identify" ? { user_id: v.user ?? `u-${hex(6)}` }
      : t === "session_end" ? { session_id: v.session, started_at: new Date(start + i * step - 600_000).toISOString(), last_activity: new Date(start + i * step - 1_800_000).toISOString(), duration_ms: 600_000, pages: 4, events: 11 }
      : { items: [{ product_id: p, quantity: 1, price, currency: "EUR" }], item_count: 1, value: { EUR: price }, cart_updated_at: new Date(start + i * step - 3_600_000).toISOString(), idle_ms: 3_600_000 };
    const received = new Date(start + Math.floor(i * step));
    const ts = new Date(received.getTime() - Math.floor(rnd() * 3000)).toISOString();
    const src = pick(SOURCES);
    const c = v.city;
    const botScore = rnd() < 0.1 ? Math.floor(rnd() * 100) : undefined;
    yield {
      id: uuid(), site: "demo", type: t, props, anonymous_id: v.anon, user_id: v.user, identity: v.user ? "asserted" : "none", session_id: v.session,
      client_ts: ts, sent_at: received.toISOString(), received_at: received.toISOString(), ts,
      page: { url: `https://shop.example/p/${p}${src ? `?utm_source=${src}` : ""}`, path: `/p/${p}`, referrer_host: src ? `www.${src}.com` : null, utm: { source: src, medium: src ? "cpc" : null, campaign: src ? "winter" : null, term: null, content: null }, campaign_params: {} },
      geo: { country: c[0], region: c[1], city: c[2], postal_code: c[3], latitude: c[4], longitude: c[5], timezone: c[6], continent: c[7], colo: c[8], asn: c[9], as_org: c[10] },
      ua: { ...v.ua }, bot: false, locale: v.locale, timezone: c[6],
      ...(botScore !== undefined ? { bot_score: botScore, bot_reasons: botScore > 50 ? ["rate"] : [] } : {}),
    };
  }
}
