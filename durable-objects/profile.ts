/**
 * The rolling profile: pure functions, bounded in size whatever the traffic.
 * Bounds: 20 recent products, 10 recent searches, 50 affinities per kind, 50 cart lines,
 * 10 last order ids, 20 anonymous ids, 10 recent session ids.
 */
import type { EventType, StoredRecord } from "../schemas";
import { EVENT_TYPES } from "../schemas";

export const LIMITS = {
  recentProducts: 20,
  recentSearches: 10,
  affinities: 50,
  cartLines: 50,
  orderIds: 10,
  anonymousIds: 20,
  sessionIds: 10,
} as const;
export const SESSION_TIMEOUT_MS = 30 * 60 * 1000;
export const DEFAULT_HALF_LIFE_MS = 24 * 3600 * 1000;

/** Score with the time it was last brought up to date; decayed lazily. */
export interface Decayed {
  s: number;
  t: number;
}
export type AffinityKind = "products" | "categories" | "brands";

export interface Profile {
  id: string;
  site: string;
  user_id: string | null;
  anonymous_ids: string[];
  first_seen: string | null;
  last_seen: string | null;
  counts: Record<EventType, number>;
  sessions: {
    count: number;
    recent_ids: string[];
    current: { id: string; started_at: string; last_activity: string; pages: number; events: number } | null;
  };
  recent_products: { product_id: string; category: string | null; action: "view" | "click" | "cart" | "purchase"; at: string }[];
  recent_searches: { query: string; results_count: number | null; at: string }[];
  affinities: Record<AffinityKind, Record<string, Decayed>>;
  cart: { items: { product_id: string; quantity: number; price: number | null; currency: string | null }[]; updated_at: string | null };
  purchases: { count: number; revenue: Record<string, number>; last_order_ids: string[] };
  engagement: { active_ms: number; visible_ms: number; max_scroll_depth: number };
  last_geo: StoredRecord["geo"] | null;
  last_device: StoredRecord["ua"] | null;
}

export function emptyProfile(site: string, id: string): Profile {
  return {
    id,
    site,
    user_id: null,
    anonymous_ids: [],
    first_seen: null,
    last_seen: null,
    counts: Object.fromEntries(EVENT_TYPES.map((t) => [t, 0])) as Record<EventType, number>,
    sessions: { count: 0, recent_ids: [], current: null },
    recent_products: [],
    recent_searches: [],
    affinities: { products: {}, categories: {}, brands: {} },
    cart: { items: [], updated_at: null },
    purchases: { count: 0, revenue: {}, last_order_ids: [] },
    engagement: { active_ms: 0, visible_ms: 0, max_scroll_depth: 0 },
    last_geo: null,
    last_device: null,
  };
}

/** score(now) = s * 2^-(now - t)/halfLife */
export function decay(d: Decayed, now: number, halfLifeMs: number): number {
  const dt = Math.max(0, now - d.t);
  return d.s * Math.pow(2, -dt / halfLifeMs);
}

/** Adds weight at time `at`, keeps the `limit` strongest entries (by decayed score at `at`). */
export function bump(table: Record<string, Decayed>, key: string, weight: number, at: number, halfLifeMs: number, limit: number = LIMITS.affinities): void {
  const prev = table[key];
  // Events can arrive slightly out of order: decay toward whichever time is later.
  const t = prev ? Math.max(prev.t, at) : at;
  const base = prev ? decay(prev, t, halfLifeMs) : 0;
  const add = weight * Math.pow(2, -Math.max(0, t - at) / halfLifeMs);
  table[key] = { s: base + add, t };
  const keys = Object.keys(table);
  if (keys.length > limit) {
    let weakest = key;
    let min = Infinity;
    for (const k of keys) {
      const v = decay(table[k]!, t, halfLifeMs);
      if (v < min) {
        min = v;
        weakest = k;
      }
    }
    delete table[weakest];
  }
}

/** Interaction weights for affinities: stronger intent counts more. */
export const WEIGHTS = { view: 1, click: 2, cart: 4, purchase: 8, search: 0 } as const;

function pushRecent<T>(list: T[], item: T, same: (a: T) => boolean, limit: number): T[] {
  return [item, ...list.filter((x) => !same(x))].slice(0, limit);
}

/** Applies one accepted event. Mutates and returns the profile. */
export function applyEvent(p: Profile, r: StoredRecord, halfLifeMs: number = DEFAULT_HALF_LIFE_MS): Profile {
  const at = Date.parse(r.ts);
  const iso = r.ts;
  if (r.user_id) p.user_id = r.user_id;
  if (!p.anonymous_ids.includes(r.anonymous_id)) p.anonymous_ids = [r.anonymous_id, ...p.anonymous_ids].slice(0, LIMITS.anonymousIds);
  if (!p.first_seen || iso < p.first_seen) p.first_seen = iso;
  const isLatest = !p.last_seen || iso >= p.last_seen;
  if (isLatest) {
    p.last_seen = iso;
    p.last_geo = r.geo;
    p.last_device = r.ua;
  }
  p.counts[r.type] = (p.counts[r.type] ?? 0) + 1;
  applySession(p, r, at);

  const interest = (productId: string, category: string | null | undefined, brand: string | null | undefined, w: number) => {
    bump(p.affinities.products, productId, w, at, halfLifeMs);
    if (category) bump(p.affinities.categories, category, w, at, halfLifeMs);
    if (brand) bump(p.affinities.brands, brand, w, at, halfLifeMs);
  };
  const recent = (product_id: string, category: string | null, action: Profile["recent_products"][number]["action"]) => {
    if (!isLatest && p.recent_products.some((x) => x.product_id === product_id && x.at > iso)) return;
    p.recent_products = pushRecent(p.recent_products, { product_id, category, action, at: iso }, (x) => x.product_id === product_id, LIMITS.recentProducts);
    p.recent_products.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  };

  switch (r.type) {
    case "product_view": {
      const x = r.props as { product_id: string; category?: string; brand?: string };
      interest(x.product_id, x.category, x.brand, WEIGHTS.view);
      recent(x.product_id, x.category ?? null, "view");
      break;
    }
    case "product_click": {
      const x = r.props as { product_id: string; category?: string };
      interest(x.product_id, x.category, null, WEIGHTS.click);
      recent(x.product_id, x.category ?? null, "click");
      break;
    }
    case "add_to_cart": {
      const x = r.props as { product_id: string; quantity: number; price?: number; currency?: string };
      interest(x.product_id, null, null, WEIGHTS.cart);
      recent(x.product_id, null, "cart");
      const line = p.cart.items.find((i) => i.product_id === x.product_id);
      if (line) {
        line.quantity += x.quantity;
        if (x.price !== undefined) line.price = x.price;
        if (x.currency) line.currency = x.currency;
      } else {
        p.cart.items.push({ product_id: x.product_id, quantity: x.quantity, price: x.price ?? null, currency: x.currency ?? null });
        if (p.cart.items.length > LIMITS.cartLines) p.cart.items.shift();
      }
      p.cart.updated_at = iso;
      break;
    }
    case "remove_from_cart": {
      const x = r.props as { product_id: string; quantity?: number };
      const line = p.cart.items.find((i) => i.product_id === x.product_id);
      if (line) {
        line.quantity = x.quantity === undefined ? 0 : Math.max(0, line.quantity - x.quantity);
        if (line.quantity === 0) p.cart.items = p.cart.items.filter((i) => i !== line);
      }
      p.cart.updated_at = iso;
      break;
    }
    case "purchase": {
      const x = r.props as { order_id: string; revenue: number; currency: string; items: { product_id: string; quantity: number }[] };
      p.purchases.count += 1;
      p.purchases.revenue[x.currency] = round2((p.purchases.revenue[x.currency] ?? 0) + x.revenue);
      p.purchases.last_order_ids = [x.order_id, ...p.purchases.last_order_ids.filter((o) => o !== x.order_id)].slice(0, LIMITS.orderIds);
      for (const item of x.items) {
        interest(item.product_id, null, null, WEIGHTS.purchase);
        recent(item.product_id, null, "purchase");
      }
      p.cart = { items: [], updated_at: iso };
      break;
    }
    case "search": {
      const x = r.props as { query: string; results_count?: number };
      const q = x.query.trim().toLowerCase();
      p.recent_searches = pushRecent(p.recent_searches, { query: q, results_count: x.results_count ?? null, at: iso }, (s) => s.query === q, LIMITS.recentSearches);
      break;
    }
    case "scroll_depth": {
      const x = r.props as { percent: number };
      p.engagement.max_scroll_depth = Math.max(p.engagement.max_scroll_depth, x.percent);
      break;
    }
    case "engagement": {
      const x = r.props as { active_ms: number; visible_ms: number };
      p.engagement.active_ms += x.active_ms;
      p.engagement.visible_ms += x.visible_ms;
      break;
    }
  }
  return p;
}

function applySession(p: Profile, r: StoredRecord, at: number): void {
  const cur = p.sessions.current;
  const lastAt = cur ? Date.parse(cur.last_activity) : -Infinity;
  let sid = r.session_id;
  if (!sid) {
    // No client session: roll over after 30 minutes of inactivity.
    sid = cur && at - lastAt < SESSION_TIMEOUT_MS ? cur.id : `auto-${r.ts}`;
  }
  if (cur && cur.id === sid) {
    if (r.ts > cur.last_activity) cur.last_activity = r.ts;
    if (r.ts < cur.started_at) cur.started_at = r.ts;
    cur.events += 1;
    if (r.type === "page_view") cur.pages += 1;
    return;
  }
  if (p.sessions.recent_ids.includes(sid)) return; // a late event of an earlier session
  p.sessions.count += 1;
  p.sessions.recent_ids = [sid, ...p.sessions.recent_ids].slice(0, LIMITS.sessionIds);
  if (!cur || r.ts >= cur.last_activity) {
    p.sessions.current = { id: sid, started_at: r.ts, last_activity: r.ts, pages: r.type === "page_view" ? 1 : 0, events: 1 };
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The profile as a reader sees it: affinities decayed to `now`, strongest first. */
export function viewProfile(p: Profile, now: number, halfLifeMs: number = DEFAULT_HALF_LIFE_MS) {
  const rank = (t: Record<string, Decayed>) =>
    Object.entries(t)
      .map(([key, d]) => ({ key, score: Math.round(decay(d, now, halfLifeMs) * 1000) / 1000 }))
      .sort((a, b) => b.score - a.score);
  return {
    ...p,
    affinities: {
      half_life_hours: halfLifeMs / 3_600_000,
      products: rank(p.affinities.products),
      categories: rank(p.affinities.categories),
      brands: rank(p.affinities.brands),
    },
  };
}
export type ProfileView = ReturnType<typeof viewProfile>;
