/**
 * What a flush chunk teaches the site about its products, computed by the user's object at
 * flush time (off the beacon's path, no extra SQLite rows): co-visit pairs, interaction
 * weights for popularity and trending, and attributes (category, brand, price) learnt from
 * events. Pure.
 *
 * Co-visits follow the sequential-rules baseline of session-based recommendation: each
 * product interaction is paired with the distinct products seen just before it in the same
 * session (at most ITEM_LIMITS.steps back, no gap over ITEM_LIMITS.sessionGapMs), weighted
 * 1/distance, so a visitor browsing twenty shoes does not make every shoe a neighbour of
 * every other. The products before a chunk come from the profile's recent products, so a
 * session spanning several flushes still pairs.
 */
import type { FlushChunk, ItemDelta, ProductFacts, StoredRecord } from "../../schemas";
import type { Profile } from "../profile";
import { ITEM_LIMITS } from "./tuning";

export type Action = Profile["recent_products"][number]["action"];

/** Popularity weight per interaction (as profile affinities count them). */
export const ACTION_WEIGHT: Record<Action, number> = { view: 1, click: 2, cart: 4, purchase: 8 };
/** Pair strength by the later interaction: intent to buy says more about "together". */
export const PAIR_STRENGTH: Record<Action, number> = { view: 1, click: 1, cart: 2, purchase: 3 };
const BUYING: ReadonlySet<Action> = new Set<Action>(["cart", "purchase"]);

export interface Touch {
  id: string;
  at: number;
  action: Action;
  category?: string | undefined;
  brand?: string | undefined;
  price?: number | undefined;
  currency?: string | undefined;
}

/** The product interactions of records, in event-time order (purchase items in order-line order). */
export function touchesOf(records: readonly StoredRecord[]): Touch[] {
  const out: Touch[] = [];
  for (const r of records) {
    const at = Date.parse(r.ts);
    if (!Number.isFinite(at)) continue;
    const p = r.props as Record<string, unknown>;
    const s = (k: string) => (typeof p[k] === "string" ? (p[k] as string) : undefined);
    const n = (k: string) => (typeof p[k] === "number" ? (p[k] as number) : undefined);
    if (r.type === "product_view") out.push({ id: s("product_id")!, at, action: "view", category: s("category"), brand: s("brand"), price: n("price"), currency: s("currency") });
    else if (r.type === "product_click") out.push({ id: s("product_id")!, at, action: "click", category: s("category") });
    else if (r.type === "add_to_cart") out.push({ id: s("product_id")!, at, action: "cart", price: n("price"), currency: s("currency") });
    else if (r.type === "purchase") {
      const items = Array.isArray(p.items) ? (p.items as { product_id: string; price?: number }[]) : [];
      const currency = s("currency");
      for (const it of items) out.push({ id: it.product_id, at, action: "purchase", price: it.price, currency: it.price !== undefined ? currency : undefined });
    }
  }
  return out.filter((t) => typeof t.id === "string" && t.id.length > 0).sort((a, b) => a.at - b.at);
}

/**
 * The delta of one chunk. `history`: the profile's recent products (any order); only those
 * before the chunk's first interaction are used, the chunk's own come from its records.
 */
export function itemDelta(records: readonly StoredRecord[], history: Profile["recent_products"]): ItemDelta | null {
  const touches = touchesOf(records);
  if (touches.length === 0) return null;
  const first = touches[0]!.at;
  const before: Touch[] = history
    .map((h) => ({ id: h.product_id, at: Date.parse(h.at), action: h.action, category: h.category ?? undefined, brand: h.brand ?? undefined }))
    .filter((h) => Number.isFinite(h.at) && h.at < first)
    .sort((a, b) => a.at - b.at);
  const seq = [...before, ...touches];
  const index = new Map<string, number>();
  const products: ProductFacts[] = [];
  const ref = (id: string): number => {
    let i = index.get(id);
    if (i === undefined) {
      index.set(id, (i = products.length));
      products.push({ id, w: 0 });
    }
    return i;
  };
  // Attributes known from history (the profile learnt them from views) fill cart and purchase touches.
  const known = new Map<string, { category?: string | undefined; brand?: string | undefined }>();
  for (const h of before) known.set(h.id, { category: h.category, brand: h.brand });
  const pairs = new Map<string, [number, number, number, number]>();
  for (let i = before.length; i < seq.length; i++) {
    const cur = seq[i]!;
    const k = known.get(cur.id) ?? {};
    if (cur.category) k.category = cur.category;
    if (cur.brand) k.brand = cur.brand;
    known.set(cur.id, k);
    const me = ref(cur.id);
    const f = products[me]!;
    f.w += ACTION_WEIGHT[cur.action];
    if (k.category) f.category = k.category;
    if (k.brand) f.brand = k.brand;
    if (cur.price !== undefined) f.price = cur.price;
    if (cur.currency) f.currency = cur.currency;
    // Walk back through the session: distinct products, nearest first.
    const seen = new Set<string>([cur.id]);
    let newer = cur.at;
    for (let j = i - 1; j >= 0 && seen.size <= ITEM_LIMITS.steps; j--) {
      const prev = seq[j]!;
      if (newer - prev.at > ITEM_LIMITS.sessionGapMs) break;
      newer = prev.at;
      if (seen.has(prev.id)) continue;
      seen.add(prev.id);
      const d = seen.size - 1;
      const w = PAIR_STRENGTH[cur.action] / d;
      const b = BUYING.has(cur.action) && BUYING.has(prev.action) ? 1 / d : 0;
      const from = ref(prev.id);
      const key = `${from}>${me}`;
      const p = pairs.get(key);
      if (p) {
        p[2] += w;
        p[3] += b;
      } else pairs.set(key, [from, me, w, b]);
    }
  }
  for (const p of products) {
    if (p.w > 0) continue;
    const k = known.get(p.id); // a history product: its attributes as the profile knows them
    if (k?.category) p.category = k.category;
    if (k?.brand) p.brand = k.brand;
  }
  const round = (x: number) => Math.round(x * 1e4) / 1e4;
  return { at: touches[touches.length - 1]!.at, products, pairs: [...pairs.values()].map(([a, b, w, bw]) => [a, b, round(w), round(bw)]) };
}

/** Queue messages are at most 128 KB; a chunk's records take up to ~121 KB of that. */
export const MAX_MESSAGE_TOTAL_BYTES = 126_000;
const enc = new TextEncoder();

/**
 * A delta cut to fit `budget` bytes of JSON: the weakest pairs go first, then (if it still
 * does not fit) everything. Only a chunk of ~120 KB of records with hundreds of products
 * needs this; typical deltas are a few KB.
 */
export function fitDelta(delta: ItemDelta, budget: number): ItemDelta | null {
  return fitted(delta, budget)?.delta ?? null;
}

function fitted(delta: ItemDelta, budget: number): { delta: ItemDelta; bytes: number } | null {
  let size = enc.encode(JSON.stringify(delta)).byteLength;
  if (size <= budget) return { delta, bytes: size };
  const pairs = [...delta.pairs].sort((a, b) => b[2] - a[2]);
  let keep = pairs.length;
  while (keep > 0 && size > budget) {
    keep = Math.floor(keep / 2);
    size = enc.encode(JSON.stringify({ ...delta, pairs: pairs.slice(0, keep) })).byteLength;
  }
  return size <= budget ? { delta: { ...delta, pairs: pairs.slice(0, keep) }, bytes: size } : null;
}

/**
 * The user's object's flush hook: each chunk gets its delta (when site-wide statistics are on
 * and it touches products), and its byte count grows by the delta's size.
 */
export function withItemDeltas<C extends { bytes: number; body: FlushChunk }>(chunks: C[], profile: Pick<Profile, "recent_products"> | null, enabled = true): C[] {
  if (!enabled) return chunks;
  return chunks.map((c) => {
    const delta = itemDelta(c.body.records, profile?.recent_products ?? []);
    const fit = delta && fitted(delta, MAX_MESSAGE_TOTAL_BYTES - c.bytes - 64);
    if (!fit) return c;
    return { ...c, bytes: c.bytes + fit.bytes + 10, body: { ...c.body, items: fit.delta } };
  });
}
