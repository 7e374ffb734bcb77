/**
 * The demo shop's data, pure: its catalogue (one source for the page's product grid and the
 * collector's catalogue) and a fixed crowd of simulated shoppers whose sessions give the site
 * its first "viewed together" and trending statistics, so that a fresh `npm run dev` shows
 * recommendations from the first page view. Shoppers browse "missions" (running, outdoor,
 * city, travel, winter, summer, watches) that cross categories, as real shoppers do.
 * Event ids are fixed: seeding again (another isolate, a restart) only makes duplicates.
 */
import type { Envelope } from "../../schemas";
import { mulberry32 as rng } from "../lib/random";

export interface DemoProduct {
  id: string;
  name: string;
  category: string;
  brand: string;
  price: number;
}

/** The first eight keep their ids, categories and order: the browser tests click them by position. */
export const PRODUCTS: readonly DemoProduct[] = [
  { id: "sku-1", name: "Blue runner", category: "shoes", brand: "Fleet", price: 59 },
  { id: "sku-2", name: "Trail boot", category: "shoes", brand: "Ridge", price: 119 },
  { id: "sku-3", name: "City loafer", category: "shoes", brand: "Fleet", price: 89 },
  { id: "sku-4", name: "Canvas tote", category: "bags", brand: "Harbor", price: 35 },
  { id: "sku-5", name: "Leather backpack", category: "bags", brand: "Ridge", price: 149 },
  { id: "sku-6", name: "Wool beanie", category: "hats", brand: "Harbor", price: 25 },
  { id: "sku-7", name: "Rain jacket", category: "coats", brand: "Ridge", price: 129 },
  { id: "sku-8", name: "Sun hat", category: "hats", brand: "Fleet", price: 29 },
  { id: "sku-9", name: "Running socks", category: "socks", brand: "Fleet", price: 12 },
  { id: "sku-10", name: "Wool socks", category: "socks", brand: "Harbor", price: 15 },
  { id: "sku-11", name: "Canvas sneaker", category: "shoes", brand: "Harbor", price: 65 },
  { id: "sku-12", name: "Weekend duffel", category: "bags", brand: "Harbor", price: 95 },
  { id: "sku-13", name: "Leather belt", category: "accessories", brand: "Ridge", price: 45 },
  { id: "sku-14", name: "Down parka", category: "coats", brand: "Ridge", price: 229 },
  { id: "sku-15", name: "Trench coat", category: "coats", brand: "Harbor", price: 189 },
  { id: "sku-16", name: "Baseball cap", category: "hats", brand: "Fleet", price: 22 },
  { id: "sku-17", name: "Hiking socks", category: "socks", brand: "Ridge", price: 18 },
  { id: "sku-18", name: "Laptop sleeve", category: "bags", brand: "Fleet", price: 39 },
  { id: "sku-19", name: "Field watch", category: "watches", brand: "Ridge", price: 149 },
  { id: "sku-20", name: "Dress watch", category: "watches", brand: "Harbor", price: 249 },
  { id: "sku-21", name: "Sport watch", category: "watches", brand: "Fleet", price: 99 },
  { id: "sku-22", name: "Rain boot", category: "shoes", brand: "Harbor", price: 75 },
  { id: "sku-23", name: "Knit scarf", category: "accessories", brand: "Harbor", price: 35 },
  { id: "sku-24", name: "Fleece gloves", category: "accessories", brand: "Ridge", price: 29 },
];

/** What simulated shoppers look at together. */
export const MISSIONS: readonly (readonly string[])[] = [
  ["sku-1", "sku-11", "sku-9", "sku-17", "sku-21"], // running
  ["sku-2", "sku-17", "sku-14", "sku-7", "sku-24"], // outdoor
  ["sku-3", "sku-15", "sku-13", "sku-20", "sku-5"], // city
  ["sku-4", "sku-12", "sku-18", "sku-5", "sku-19"], // travel
  ["sku-6", "sku-14", "sku-23", "sku-24", "sku-10"], // winter
  ["sku-8", "sku-16", "sku-21", "sku-4", "sku-22"], // summer
  ["sku-19", "sku-20", "sku-21", "sku-13", "sku-3"], // watches
];

export const SHOPPERS = 42;
export const CURRENCY = "EUR";

const byId = new Map(PRODUCTS.map((p) => [p.id, p]));

/** The catalogue as POST /v1/catalog/:site takes it; product pages live under `origin`/demo/p/. */
export function catalogItems(origin: string) {
  return PRODUCTS.map((p) => ({ product_id: p.id, title: p.name, url: `${origin}/demo/p/${p.id}`, price: p.price, currency: CURRENCY, category: p.category, brand: p.brand, available: true }));
}


/**
 * One envelope per simulated shopper: a session of product views within one mission (4 or 5
 * of its products, in a shuffled order, one of them clicked first from a list), sometimes one
 * product of another mission, and for every third shopper an add to cart. Times end at `now`.
 */
export function shopperEnvelopes(site: string, now: number): Envelope[] {
  const out: Envelope[] = [];
  for (let s = 0; s < SHOPPERS; s++) {
    const r = rng(s + 1);
    const mission = [...MISSIONS[s % MISSIONS.length]!];
    for (let i = mission.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [mission[i], mission[j]] = [mission[j]!, mission[i]!];
    }
    mission.length = 4 + (r() < 0.5 ? 1 : 0);
    if (r() < 0.25) mission.push(PRODUCTS[Math.floor(r() * PRODUCTS.length)]!.id);
    const events: Envelope["events"] = [];
    // At most 8 events 15 s apart, ending before `now`.
    let t = now - (SHOPPERS - s) * 1000 - 8 * 15_000;
    const ev = (type: string, props: Record<string, unknown>) => events.push({ id: `demo-seed-${s}-${events.length}`, type, ts: new Date((t += 15_000)).toISOString(), props });
    mission.forEach((id, i) => {
      const p = byId.get(id)!;
      if (i === 0) ev("product_click", { product_id: id, category: p.category, position: 1 + Math.floor(r() * 8), list: "home" });
      ev("product_view", { product_id: id, category: p.category, brand: p.brand, price: p.price, currency: CURRENCY });
    });
    if (s % 3 === 0) ev("add_to_cart", { product_id: mission[0]!, quantity: 1, price: byId.get(mission[0]!)!.price, currency: CURRENCY });
    out.push({ site, anonymous_id: `demo-shopper-${s}`, session_id: `demo-shopper-${s}-s1`, sent_at: new Date(t).toISOString(), events });
  }
  return out;
}
