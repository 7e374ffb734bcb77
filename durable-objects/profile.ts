/**
 * The rolling profile: pure functions, bounded in size whatever the traffic.
 * Bounds: 20 recent products, 10 recent searches, 50 affinities per kind, 50 cart lines,
 * 10 last order ids, 50 purchased product ids, 20 anonymous ids, 10 recent session ids; every string in it is bounded
 * by the event schemas (ids 128, queries 256), so a profile stays under ~32 KB as JSON
 * (a test fills every list to its bound and checks that).
 */
import type { EventType, IdentityStatus, StoredRecord } from "../schemas";
import { EVENT_TYPES, parseTime, plausibleMs, plausibleTime, SERVER_EVENT_TYPES } from "../schemas";

export const LIMITS = {
  recentProducts: 20,
  recentSearches: 10,
  affinities: 50,
  cartLines: 50,
  orderIds: 10,
  purchasedProducts: 50,
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

export interface SessionStats {
  id: string;
  started_at: string;
  last_activity: string;
  /** last_activity - started_at */
  duration_ms: number;
  pages: number;
  events: number;
}

export interface Profile {
  id: string;
  site: string;
  user_id: string | null;
  /** The trust level of the last user id seen (see StoredRecord.identity). */
  identity: Exclude<IdentityStatus, "unverified">;
  anonymous_ids: string[];
  first_seen: string | null;
  last_seen: string | null;
  counts: Record<EventType, number>;
  sessions: {
    count: number;
    recent_ids: string[];
    /** The open session; null once it has ended (session_end). */
    current: SessionStats | null;
    /** The last session that ended, and the summed duration of all ended sessions. */
    last_ended: SessionStats | null;
    ended_duration_ms: number;
  };
  recent_products: { product_id: string; category: string | null; brand: string | null; action: "view" | "click" | "cart" | "purchase"; at: string }[];
  recent_searches: { query: string; results_count: number | null; at: string }[];
  affinities: Record<AffinityKind, Record<string, Decayed>>;
  cart: {
    items: { product_id: string; quantity: number; price: number | null; currency: string | null }[];
    updated_at: string | null;
    /** Set when cart_abandoned was made for the cart as it is; cleared by any cart change. */
    abandoned_at: string | null;
  };
  /** product_ids: the products bought, newest first (recommendations never repeat them). */
  purchases: { count: number; revenue: Record<string, number>; last_order_ids: string[]; product_ids: string[] };
  engagement: {
    active_ms: number;
    visible_ms: number;
    max_scroll_depth: number;
    /** Mean over pages of the deepest scroll milestone reached on each (0 for pages never scrolled). */
    avg_scroll_depth: number;
    /** Internal: pages counted, summed per-page depth of finished pages, depth of the current page. */
    scroll: { pages: number; sum: number; current: number };
  };
  last_geo: StoredRecord["geo"] | null;
  last_device: StoredRecord["ua"] | null;
}

export function emptyProfile(site: string, id: string): Profile {
  return {
    id,
    site,
    user_id: null,
    identity: "none",
    anonymous_ids: [],
    first_seen: null,
    last_seen: null,
    counts: Object.fromEntries(EVENT_TYPES.map((t) => [t, 0])) as Record<EventType, number>,
    sessions: { count: 0, recent_ids: [], current: null, last_ended: null, ended_duration_ms: 0 },
    recent_products: [],
    recent_searches: [],
    affinities: { products: {}, categories: {}, brands: {} },
    cart: { items: [], updated_at: null, abandoned_at: null },
    purchases: { count: 0, revenue: {}, last_order_ids: [], product_ids: [] },
    engagement: { active_ms: 0, visible_ms: 0, max_scroll_depth: 0, avg_scroll_depth: 0, scroll: { pages: 0, sum: 0, current: 0 } },
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

/**
 * A profile stored by an older version, brought to the current shape (missing fields get
 * defaults) and its times repaired (see repairTimes).
 */
export function upgradeProfile(stored: Profile, now: number = Date.now()): Profile {
  return repairTimes(upgradeShape(stored), now);
}

/**
 * Times that no accepted event can have made (written before the time window existed, e.g.
 * "-005947-10-30T..." from a beacon dated 9999): outside [EARLIEST_MS, now + 5 min] or not
 * parsing. They are dropped, so no timer and no reader ever sees them; counts stay.
 */
export function repairTimes(p: Profile, now: number): Profile {
  const ok = (v: string | null | undefined) => v !== null && v !== undefined && plausibleTime(v, now) !== null;
  const okSession = (s: SessionStats | null) => !!s && ok(s.started_at) && ok(s.last_activity);
  if (!ok(p.first_seen)) p.first_seen = null;
  if (!ok(p.last_seen)) p.last_seen = null;
  if (p.sessions.current && !okSession(p.sessions.current)) p.sessions.current = null;
  if (p.sessions.last_ended && !okSession(p.sessions.last_ended)) p.sessions.last_ended = null;
  if (!ok(p.cart.updated_at)) p.cart.updated_at = null;
  if (!ok(p.cart.abandoned_at)) p.cart.abandoned_at = null;
  p.recent_products = p.recent_products.filter((x) => ok(x.at));
  p.recent_searches = p.recent_searches.filter((x) => ok(x.at));
  for (const k of ["products", "categories", "brands"] as AffinityKind[]) {
    for (const [key, d] of Object.entries(p.affinities[k])) if (!Number.isFinite(d.s) || !plausibleMs(d.t, now)) delete p.affinities[k][key];
  }
  return p;
}

function upgradeShape(stored: Profile): Profile {
  const e = emptyProfile(stored.site, stored.id);
  return {
    ...e,
    ...stored,
    sessions: { ...e.sessions, ...stored.sessions },
    cart: { ...e.cart, ...stored.cart },
    purchases: { ...e.purchases, ...stored.purchases },
    engagement: { ...e.engagement, ...stored.engagement },
    counts: { ...e.counts, ...stored.counts },
    recent_products: (stored.recent_products ?? []).map((x) => ({ ...x, brand: x.brand ?? null })),
  };
}

const SERVER_TYPES: readonly string[] = SERVER_EVENT_TYPES;

/**
 * Applies one accepted event. Mutates and returns the profile. `inSession` false: the event
 * is not a visit (a backend's event without a session id): it opens or extends no session.
 */
export function applyEvent(p: Profile, r: StoredRecord, halfLifeMs: number = DEFAULT_HALF_LIFE_MS, sessionTimeoutMs: number = SESSION_TIMEOUT_MS, inSession = true): Profile {
  const at = parseTime(r.ts);
  // Every record's ts is inside the time window (schemas/time.ts, checked by the worker); one
  // without a usable time does not touch the profile (no NaN in it, no timer from it).
  if (at === null) return p;
  const iso = r.ts;
  p.counts[r.type] = (p.counts[r.type] ?? 0) + 1;
  // Events the collector makes (timers) describe the user but are not activity.
  if (SERVER_TYPES.includes(r.type)) return applyServerEvent(p, r);
  if (r.user_id) {
    p.user_id = r.user_id;
    if (r.identity === "verified" || r.identity === "asserted") p.identity = r.identity;
  }
  if (!p.anonymous_ids.includes(r.anonymous_id)) p.anonymous_ids = [r.anonymous_id, ...p.anonymous_ids].slice(0, LIMITS.anonymousIds);
  if (!p.first_seen || iso < p.first_seen) p.first_seen = iso;
  const isLatest = !p.last_seen || iso >= p.last_seen;
  if (isLatest) {
    p.last_seen = iso;
    p.last_geo = r.geo;
    p.last_device = r.ua;
  }
  if (inSession) applySession(p, r, at, sessionTimeoutMs);

  const interest = (productId: string, category: string | null | undefined, brand: string | null | undefined, w: number) => {
    // Cart and purchase events name only the product: its category and brand come from what
    // the profile learnt when the product was viewed, so strong intent counts for them too.
    const known = category && brand ? undefined : p.recent_products.find((x) => x.product_id === productId);
    category ||= known?.category;
    brand ||= known?.brand;
    bump(p.affinities.products, productId, w, at, halfLifeMs);
    if (category) bump(p.affinities.categories, category, w, at, halfLifeMs);
    if (brand) bump(p.affinities.brands, brand, w, at, halfLifeMs);
  };
  const recent = (product_id: string, category: string | null, brand: string | null, action: Profile["recent_products"][number]["action"]) => {
    // A late event does not displace a newer interaction with the same product.
    if (p.recent_products.some((x) => x.product_id === product_id && x.at > iso)) return;
    const prev = p.recent_products.find((x) => x.product_id === product_id);
    const item = { product_id, category: category ?? prev?.category ?? null, brand: brand ?? prev?.brand ?? null, action, at: iso };
    p.recent_products = pushRecent(p.recent_products, item, (x) => x.product_id === product_id, LIMITS.recentProducts + 1);
    // Newest first; equal times keep insertion order (latest applied first).
    p.recent_products.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
    p.recent_products = p.recent_products.slice(0, LIMITS.recentProducts);
  };
  const cartChanged = () => {
    if (!p.cart.updated_at || iso >= p.cart.updated_at) p.cart.updated_at = iso;
    p.cart.abandoned_at = null;
  };

  switch (r.type) {
    case "page_view": {
      const sc = p.engagement.scroll;
      if (sc.pages > 0) sc.sum += sc.current;
      sc.pages += 1;
      sc.current = 0;
      p.engagement.avg_scroll_depth = avgScroll(p);
      break;
    }
    // identify: the record's user_id (set only when trusted, see worker/lib/identity.ts) did it above.
    case "product_view": {
      const x = r.props as { product_id: string; category?: string; brand?: string };
      interest(x.product_id, x.category, x.brand, WEIGHTS.view);
      recent(x.product_id, x.category ?? null, x.brand ?? null, "view");
      break;
    }
    case "product_click": {
      const x = r.props as { product_id: string; category?: string };
      interest(x.product_id, x.category, null, WEIGHTS.click);
      recent(x.product_id, x.category ?? null, null, "click");
      break;
    }
    case "add_to_cart": {
      const x = r.props as { product_id: string; quantity: number; price?: number; currency?: string };
      interest(x.product_id, null, null, WEIGHTS.cart);
      recent(x.product_id, null, null, "cart");
      const line = p.cart.items.find((i) => i.product_id === x.product_id);
      if (line) {
        line.quantity += x.quantity;
        if (x.price !== undefined) line.price = x.price;
        if (x.currency) line.currency = x.currency;
      } else {
        p.cart.items.push({ product_id: x.product_id, quantity: x.quantity, price: x.price ?? null, currency: x.currency ?? null });
        if (p.cart.items.length > LIMITS.cartLines) p.cart.items.shift();
      }
      cartChanged();
      break;
    }
    case "remove_from_cart": {
      const x = r.props as { product_id: string; quantity?: number };
      const line = p.cart.items.find((i) => i.product_id === x.product_id);
      if (line) {
        line.quantity = x.quantity === undefined ? 0 : Math.max(0, line.quantity - x.quantity);
        if (line.quantity === 0) p.cart.items = p.cart.items.filter((i) => i !== line);
      }
      cartChanged();
      break;
    }
    case "purchase": {
      const x = r.props as { order_id: string; revenue: number; currency: string; items: { product_id: string; quantity: number }[] };
      // The same order reported twice (browser and server, different event ids) counts once.
      if (p.purchases.last_order_ids.includes(x.order_id)) break;
      p.purchases.count += 1;
      p.purchases.revenue[x.currency] = round2((p.purchases.revenue[x.currency] ?? 0) + x.revenue);
      p.purchases.last_order_ids = [x.order_id, ...p.purchases.last_order_ids.filter((o) => o !== x.order_id)].slice(0, LIMITS.orderIds);
      for (const item of x.items) {
        interest(item.product_id, null, null, WEIGHTS.purchase);
        recent(item.product_id, null, null, "purchase");
        p.purchases.product_ids = [item.product_id, ...p.purchases.product_ids.filter((id) => id !== item.product_id)].slice(0, LIMITS.purchasedProducts);
      }
      p.cart = { items: [], updated_at: iso, abandoned_at: null };
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
      const sc = p.engagement.scroll;
      if (sc.pages === 0) sc.pages = 1; // scrolled before any page_view was seen
      sc.current = Math.max(sc.current, x.percent);
      p.engagement.max_scroll_depth = Math.max(p.engagement.max_scroll_depth, x.percent);
      p.engagement.avg_scroll_depth = avgScroll(p);
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

function avgScroll(p: Profile): number {
  const sc = p.engagement.scroll;
  return sc.pages ? Math.round(((sc.sum + sc.current) / sc.pages) * 10) / 10 : 0;
}

/** session_end closes the session it names; cart_abandoned marks the cart as reported. */
function applyServerEvent(p: Profile, r: StoredRecord): Profile {
  if (r.type === "session_end") {
    const x = r.props as unknown as SessionStats & { session_id: string };
    const s: SessionStats = { id: x.session_id, started_at: x.started_at, last_activity: x.last_activity, duration_ms: x.duration_ms, pages: x.pages, events: x.events };
    const cur = p.sessions.current;
    if (cur && cur.id === s.id && cur.started_at === s.started_at) p.sessions.current = null;
    p.sessions.last_ended = s;
    p.sessions.ended_duration_ms += s.duration_ms;
  } else if (r.type === "cart_abandoned") {
    p.cart.abandoned_at = r.ts;
  }
  return p;
}

function applySession(p: Profile, r: StoredRecord, at: number, timeoutMs: number): void {
  const cur = p.sessions.current;
  const lastAt = (cur && parseTime(cur.last_activity)) ?? -Infinity;
  let sid = r.session_id;
  if (!sid) {
    // No client session: roll over after the timeout (the session_end timer also closes it).
    sid = cur && at - lastAt < timeoutMs ? cur.id : `auto-${r.ts}`;
  }
  if (cur && cur.id === sid) {
    if (r.ts > cur.last_activity) cur.last_activity = r.ts;
    if (r.ts < cur.started_at) cur.started_at = r.ts;
    cur.duration_ms = Math.max(0, (parseTime(cur.last_activity) ?? 0) - (parseTime(cur.started_at) ?? Infinity));
    cur.events += 1;
    if (r.type === "page_view") cur.pages += 1;
    return;
  }
  const ended = p.sessions.last_ended;
  // A client that keeps its session id past an ended session starts a new session with it.
  const reopened = !cur && ended !== null && ended.id === sid && r.ts > ended.last_activity;
  if (!reopened && p.sessions.recent_ids.includes(sid)) return; // a late event of an earlier session
  p.sessions.count += 1;
  p.sessions.recent_ids = [sid, ...p.sessions.recent_ids.filter((x) => x !== sid)].slice(0, LIMITS.sessionIds);
  if (!cur || r.ts >= cur.last_activity) {
    p.sessions.current = { id: sid, started_at: r.ts, last_activity: r.ts, duration_ms: 0, pages: r.type === "page_view" ? 1 : 0, events: 1 };
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The profile as a reader sees it: affinities decayed to `now`, strongest first. */
export function viewProfile(p: Profile, now: number, halfLifeMs: number = DEFAULT_HALF_LIFE_MS) {
  const rank = (t: Record<string, Decayed>) =>
    Object.entries(t)
      .map(([key, d]) => ({ key, score: Math.round(decay(d, now, halfLifeMs) * 1000) / 1000 }))
      .sort((a, b) => b.score - a.score);
  const { scroll: _internal, ...engagement } = p.engagement;
  return {
    ...p,
    engagement,
    affinities: {
      half_life_hours: halfLifeMs / 3_600_000,
      products: rank(p.affinities.products),
      categories: rank(p.affinities.categories),
      brands: rank(p.affinities.brands),
    },
  };
}
export type ProfileView = ReturnType<typeof viewProfile>;
