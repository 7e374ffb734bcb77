/**
 * Identity merge, pure: an anonymous profile folded into a user's profile. Applied once per
 * (user, anonymous id): the user's object records the anonymous ids it merged, so this never
 * runs twice for the same pair. Counts and sums add up, affinities add after decaying both to
 * the later time, recents interleave by time and stay deduplicated and bounded, carts combine.
 */
import { parseTime } from "../schemas";
import { bump, decay, LIMITS, type AffinityKind, type Decayed, type Profile, type SessionStats } from "./profile";

const byAtDesc = <T extends { at: string }>(a: T, b: T) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0);

function mergeRecent<T extends { at: string }>(a: T[], b: T[], key: (x: T) => string, limit: number): T[] {
  const out: T[] = [];
  const seen = new Set<string>();
  for (const x of [...a, ...b].sort(byAtDesc)) {
    const k = key(x);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(x);
  }
  return out.slice(0, limit);
}

function mergeAffinities(a: Record<string, Decayed>, b: Record<string, Decayed>, halfLifeMs: number): Record<string, Decayed> {
  const out: Record<string, Decayed> = {};
  for (const [k, d] of Object.entries(a)) out[k] = { ...d };
  // bump() decays both to the later time, adds, and evicts the weakest beyond the bound.
  for (const [k, d] of Object.entries(b)) bump(out, k, d.s, d.t, halfLifeMs, LIMITS.affinities);
  return out;
}

function mergeCurrent(a: SessionStats | null, b: SessionStats | null): SessionStats | null {
  if (!a || !b) return a ?? b;
  if (a.id !== b.id) return a.last_activity >= b.last_activity ? a : b;
  // One visit seen by both objects (identify happened mid-session).
  const started_at = a.started_at < b.started_at ? a.started_at : b.started_at;
  const last_activity = a.last_activity > b.last_activity ? a.last_activity : b.last_activity;
  return { id: a.id, started_at, last_activity, duration_ms: Math.max(0, (parseTime(last_activity) ?? 0) - (parseTime(started_at) ?? Infinity)), pages: a.pages + b.pages, events: a.events + b.events };
}

export function mergeProfiles(user: Profile, anon: Profile, halfLifeMs: number): Profile {
  const p = structuredClone(user);
  const a = anon;
  for (const [t, n] of Object.entries(a.counts)) p.counts[t as keyof Profile["counts"]] = (p.counts[t as keyof Profile["counts"]] ?? 0) + n;

  const ids = [...p.anonymous_ids];
  for (const id of [a.id, ...a.anonymous_ids]) if (!ids.includes(id)) ids.push(id);
  p.anonymous_ids = ids.slice(0, LIMITS.anonymousIds);

  if (a.first_seen && (!p.first_seen || a.first_seen < p.first_seen)) p.first_seen = a.first_seen;
  if (a.last_seen && (!p.last_seen || a.last_seen > p.last_seen)) {
    p.last_seen = a.last_seen;
    p.last_geo = a.last_geo;
    p.last_device = a.last_device;
  }

  // Sessions: a session both objects saw is counted once.
  const overlap = a.sessions.recent_ids.filter((s) => p.sessions.recent_ids.includes(s)).length;
  p.sessions.count = p.sessions.count + a.sessions.count - overlap;
  p.sessions.recent_ids = [...new Set([...p.sessions.recent_ids, ...a.sessions.recent_ids])].slice(0, LIMITS.sessionIds);
  p.sessions.current = mergeCurrent(p.sessions.current, a.sessions.current);
  if (a.sessions.last_ended && (!p.sessions.last_ended || a.sessions.last_ended.last_activity > p.sessions.last_ended.last_activity)) p.sessions.last_ended = a.sessions.last_ended;
  p.sessions.ended_duration_ms += a.sessions.ended_duration_ms;

  p.recent_products = mergeRecent(p.recent_products, a.recent_products, (x) => x.product_id, LIMITS.recentProducts);
  p.recent_searches = mergeRecent(p.recent_searches, a.recent_searches, (x) => x.query, LIMITS.recentSearches);
  for (const k of ["products", "categories", "brands"] as AffinityKind[]) p.affinities[k] = mergeAffinities(p.affinities[k], a.affinities[k], halfLifeMs);

  // Carts: lines of the same product add up (both came from add_to_cart events).
  if (a.cart.items.length) {
    const items = p.cart.items.map((i) => ({ ...i }));
    for (const line of a.cart.items) {
      const mine = items.find((i) => i.product_id === line.product_id);
      if (mine) {
        mine.quantity += line.quantity;
        mine.price ??= line.price;
        mine.currency ??= line.currency;
      } else items.push({ ...line });
    }
    const abandoned_at = p.cart.items.length === 0 ? a.cart.abandoned_at : null;
    const updated_at = !p.cart.updated_at || (a.cart.updated_at && a.cart.updated_at > p.cart.updated_at) ? a.cart.updated_at : p.cart.updated_at;
    p.cart = { items: items.slice(-LIMITS.cartLines), updated_at, abandoned_at };
  }

  for (const o of a.purchases.last_order_ids) {
    if (p.purchases.last_order_ids.includes(o)) continue; // the same order seen by both
    p.purchases.last_order_ids.push(o);
  }
  p.purchases.last_order_ids = p.purchases.last_order_ids.slice(0, LIMITS.orderIds);
  p.purchases.count += a.purchases.count;
  p.purchases.product_ids = [...new Set([...p.purchases.product_ids, ...a.purchases.product_ids])].slice(0, LIMITS.purchasedProducts);
  for (const [cur, v] of Object.entries(a.purchases.revenue)) p.purchases.revenue[cur] = Math.round(((p.purchases.revenue[cur] ?? 0) + v) * 100) / 100;

  const e = p.engagement;
  e.active_ms += a.engagement.active_ms;
  e.visible_ms += a.engagement.visible_ms;
  e.max_scroll_depth = Math.max(e.max_scroll_depth, a.engagement.max_scroll_depth);
  // Finished pages of both, plus the current page of whichever was active last.
  const aLater = (a.last_seen ?? "") > (user.last_seen ?? "");
  const cur = aLater ? a.engagement.scroll.current : e.scroll.current;
  const other = aLater ? e.scroll.current : a.engagement.scroll.current;
  e.scroll = { pages: e.scroll.pages + a.engagement.scroll.pages, sum: e.scroll.sum + a.engagement.scroll.sum + other, current: cur };
  e.avg_scroll_depth = e.scroll.pages ? Math.round(((e.scroll.sum + e.scroll.current) / e.scroll.pages) * 10) / 10 : 0;
  return p;
}

/** For tests and docs: the decayed score of a key. */
export const scoreOf = (t: Record<string, Decayed>, k: string, now: number, halfLifeMs: number) => (t[k] ? decay(t[k]!, now, halfLifeMs) : 0);
