/**
 * Ranking, pure: a person's recent products (their co-visited neighbours), decayed category
 * and brand affinities, and trending products -> scored items with human reasons.
 *
 *   score = (cov + 0.15 * trend) * (1 + 0.5 * aff)
 *   cov   = sum over seeds s of seedWeight(s) * w(s -> item) / max w(s -> .)   (0..~2.6)
 *   aff   = 0.6 * category affinity + 0.4 * brand affinity, each / the person's strongest (0..1)
 *   trend = the item's trending weight / the strongest in its list, times the list's weight (0..1):
 *           the asked or the context product's category 1, a favourite category 0.7, site-wide 0.5
 * Seeds: the `context` product (product page) first, then the person's recent products, newest
 * first; seed weights 1, 0.6, 0.4, 0.3, 0.25 by position (the last item says most about the next).
 * Filters: never purchased, never the context product, no duplicates, not what is in the cart
 * (unless asked), not excluded, never `available: false`, only `category` when asked.
 */
import type { ItemView, Neighbour } from "../../durable-objects/items/item-stats";
import type { RankingInput } from "../../durable-objects/items/ranking-input";
import type { RecOptions } from "./query";

export const SEED_WEIGHTS = [1, 0.4, 0.2, 0.1, 0.05] as const;
export const WEIGHTS = { affinity: 0.5, trending: 0.15 } as const;

/** Which signals count (all by default); the eval switches each off in turn (ablation). */
export interface Signals {
  covisit: boolean;
  affinity: boolean;
  trending: boolean;
}
export const ALL_SIGNALS: Signals = { covisit: true, affinity: true, trending: true };

export type Strategy = "personalized" | "item_to_item" | "trending";
export interface TrendList {
  /** null: site-wide; else the category. */
  category: string | null;
  /** How much it counts (TREND_WEIGHTS; 1 when not given). */
  weight?: number;
  items: { product_id: string; score: number }[];
}
export interface RecItem {
  product_id: string;
  score: number;
  reasons: string[];
  [field: string]: unknown;
}

/** The products whose neighbours are read, with their weight: context first, then recent products. */
export function seedsOf(user: RankingInput | null, context: string | null): { id: string; weight: number }[] {
  const ids: string[] = [];
  if (context) ids.push(context);
  for (const r of user?.recent ?? []) if (!ids.includes(r.product_id)) ids.push(r.product_id);
  return ids.slice(0, SEED_WEIGHTS.length).map((id, i) => ({ id, weight: SEED_WEIGHTS[i]! }));
}

/** How much a trending list counts: the asked or the context's category most, the site least. */
export const TREND_WEIGHTS = { asked: 1, context: 1, favourite: 0.7, site: 0.5 } as const;

/**
 * Which trending lists to read, and their weight: the asked category (else site-wide), the
 * context product's category, the person's two favourite categories.
 */
export function trendKeys(user: RankingInput | null, category: string | null, contextCategory: string | null = null): { category: string | null; weight: number }[] {
  const keys: { category: string | null; weight: number }[] = [category === null ? { category: null, weight: TREND_WEIGHTS.site } : { category, weight: TREND_WEIGHTS.asked }];
  const add = (c: string, weight: number) => {
    if (!keys.some((k) => k.category === c)) keys.push({ category: c, weight });
  };
  if (contextCategory) add(contextCategory, TREND_WEIGHTS.context);
  for (const c of user?.categories.slice(0, 2) ?? []) add(c.key, TREND_WEIGHTS.favourite);
  return keys;
}

type Covisit = Map<string, { s: number; top: string; topS: number; bought: boolean }>;
type Trend = Map<string, { t: number; category: string | null }>;

/** Per product: summed co-visit score over the seeds, and the seed that gave most. */
export function covisitOf(seeds: { id: string; weight: number }[], neighbours: Map<string, Neighbour[]>): Covisit {
  const cov: Covisit = new Map();
  for (const seed of seeds) {
    const list = neighbours.get(seed.id) ?? [];
    let max = 0;
    for (const n of list) if (n.w > max) max = n.w;
    if (max <= 0) continue;
    for (const { id, w, b } of list) {
      const s = (seed.weight * w) / max;
      let cur = cov.get(id);
      if (!cur) cov.set(id, (cur = { s: 0, top: seed.id, topS: 0, bought: false }));
      cur.s += s;
      if (s > cur.topS) {
        cur.top = seed.id;
        cur.topS = s;
        cur.bought = b >= 0.5 * w;
      }
    }
  }
  return cov;
}

/** Per product: its strongest weighted trending share over the lists, and which list. */
export function trendOf(trends: TrendList[]): Trend {
  const out: Trend = new Map();
  for (const list of trends) {
    const max = list.items[0]?.score ?? 0;
    if (max <= 0) continue;
    for (const i of list.items) {
      const t = ((list.weight ?? 1) * i.score) / max;
      const cur = out.get(i.product_id);
      if (!cur || t > cur.t) out.set(i.product_id, { t, category: list.category });
    }
  }
  return out;
}

/** What is never recommended to this person with these options. */
export function bannedFor(user: RankingInput | null, opts: RecOptions): Set<string> {
  const banned = new Set<string>([...(user?.purchased ?? []), ...opts.exclude, ...(opts.includeCart ? [] : (user?.cart ?? []))]);
  if (opts.context) banned.add(opts.context);
  return banned;
}

/** What candidatePool() and rank() both need, computed once per request (scoresOf). */
export interface Scores {
  banned: Set<string>;
  /** Empty when co-visits are switched off. */
  cov: Covisit;
  /** Always computed: the favourite categories' lists also propose the affinity's candidates. */
  trend: Trend;
}

export function scoresOf(opts: RecOptions, user: RankingInput | null, neighbours: Map<string, Neighbour[]>, trends: TrendList[], signals: Signals = ALL_SIGNALS): Scores {
  return { banned: bannedFor(user, opts), cov: signals.covisit ? covisitOf(seedsOf(user, opts.context), neighbours) : new Map(), trend: trendOf(trends) };
}

/**
 * The products worth reading catalogue and attributes for: the given candidates (re-rank), or
 * the `max` best by co-visit + trending share, before the affinity (which needs attributes)
 * is known. Banned products are left out here already.
 */
export function candidatePool(opts: RecOptions, user: RankingInput | null, neighbours: Map<string, Neighbour[]>, trends: TrendList[], signals: Signals = ALL_SIGNALS, max = poolSize(opts)): string[] {
  return opts.candidates ?? poolOf(scoresOf(opts, user, neighbours, trends, signals), max);
}

/** How many candidates get their attributes read: max(40, 4 x limit). */
export const poolSize = (opts: RecOptions): number => Math.max(40, 4 * opts.limit);

/** candidatePool() from scores already computed. */
export function poolOf(s: Scores, max: number): string[] {
  // Co-visited products first, then trending-only ones: the order ties keep (the sort is stable).
  const out: { id: string; pre: number }[] = [];
  for (const [id, c] of s.cov) {
    if (s.banned.has(id)) continue;
    const t = s.trend.get(id);
    out.push({ id, pre: c.s + (t ? t.t * 0.5 : 0) });
  }
  for (const [id, t] of s.trend) if (!s.cov.has(id) && !s.banned.has(id)) out.push({ id, pre: t.t * 0.5 });
  out.sort((x, y) => y.pre - x.pre);
  const ids: string[] = [];
  for (let i = 0; i < out.length && i < max; i++) ids.push(out[i]!.id);
  return ids;
}

export interface RankArgs {
  opts: RecOptions;
  /** From candidatePool(): the products `items` was read for. */
  pool: string[];
  user: RankingInput | null;
  neighbours: Map<string, Neighbour[]>;
  trends: TrendList[];
  items: Map<string, ItemView>;
  signals?: Signals;
  /** scoresOf() with the same arguments, if the caller has it already. */
  scores?: Scores;
}

const CATALOG_FIELDS = ["title", "url", "image", "price", "currency", "category", "brand", "available"] as const;

export function rank(a: RankArgs): { strategy: Strategy; items: RecItem[] } {
  const sig = a.signals ?? ALL_SIGNALS;
  const { opts, user } = a;
  const hasPersonal = !!user && (user.recent.length > 0 || user.categories.length > 0 || user.brands.length > 0);
  const strategy: Strategy = hasPersonal ? "personalized" : opts.context ? "item_to_item" : "trending";
  const scores = a.scores ?? scoresOf(opts, user, a.neighbours, a.trends, sig);
  const { banned, cov } = scores;
  const trends: Trend = sig.trending ? scores.trend : new Map();
  const catMax = user?.categories[0]?.score ?? 0;
  const brandMax = user?.brands[0]?.score ?? 0;
  const affOf = (v: ItemView | undefined) => {
    if (!sig.affinity || !user || !v) return { cat: 0, brand: 0 };
    const cat = v.category && catMax > 0 ? (user.categories.find((c) => c.key === v.category)?.score ?? 0) / catMax : 0;
    const brand = v.brand && brandMax > 0 ? (user.brands.find((b) => b.key === v.brand)?.score ?? 0) / brandMax : 0;
    return { cat, brand };
  };

  // Scores first, strings only for the `limit` best (reasons and catalogue fields are most of the work).
  const scored: Scored[] = [];
  a.pool.forEach((id, order) => {
    if (banned.has(id)) return;
    const v = a.items.get(id);
    if (v && !v.available) return;
    if (opts.category && v?.category !== opts.category) return;
    const c = cov.get(id);
    const tr = trends.get(id);
    const { cat, brand } = affOf(v);
    const aff = 0.6 * cat + 0.4 * brand;
    // Affinity re-weights what co-visits and trending propose: taste, not a source of its own.
    const score = ((c?.s ?? 0) + WEIGHTS.trending * (tr?.t ?? 0)) * (1 + WEIGHTS.affinity * aff);
    const x: Scored = { id, order, score: Math.round(score * 1e4) / 1e4, v, c, tr, cat, brand };
    if (!opts.candidates && !speaksFor(x)) return; // nothing speaks for it
    scored.push(x);
  });
  scored.sort((x, y) => y.score - x.score || x.order - y.order);
  return { strategy, items: scored.slice(0, opts.limit).map((x) => ({ product_id: x.id, score: x.score, reasons: reasonsOf(x), ...fieldsOf(x.v) })) };
}

interface Scored {
  id: string;
  order: number;
  score: number;
  v: ItemView | undefined;
  c: { s: number; top: string; bought: boolean } | undefined;
  tr: { t: number; category: string | null } | undefined;
  /** Category and brand affinity, each / the person's strongest. */
  cat: number;
  brand: number;
}

/** Whether reasonsOf() gives a reason at all, without making its strings. */
const speaksFor = (x: Scored): boolean => (!!x.c && x.c.s >= 0.05) || (x.cat >= 0.5 && !!x.v?.category) || (x.brand >= 0.5 && !!x.v?.brand) || !!x.tr;

/** At most three: co-visits, category, brand, trending. */
function reasonsOf({ c, tr, v, cat, brand }: Scored): string[] {
  const reasons: string[] = [];
  const trend = tr?.t ?? 0;
  if (c && c.s >= 0.05) reasons.push(`${c.bought ? "bought" : "viewed"} together with ${c.top}`);
  if (cat >= 0.5 && v?.category) reasons.push(`you like ${v.category}`);
  if (brand >= 0.5 && v?.brand) reasons.push(`you like brand ${v.brand}`);
  if (trend >= 0.3 || (reasons.length === 0 && tr)) reasons.push(tr?.category ? `trending in ${tr.category}` : v?.category ? `trending in ${v.category}` : "trending");
  return reasons.slice(0, 3);
}

/** Catalogue fields when the catalogue has them, else what events taught (category, brand, price). */
function fieldsOf(v: ItemView | undefined): Record<string, unknown> {
  if (!v) return {};
  const out: Record<string, unknown> = {};
  const cat = v.catalog as Record<string, unknown> | null;
  const learnt = (v.learnt ?? {}) as Record<string, unknown>;
  for (const f of CATALOG_FIELDS) {
    const x = cat?.[f] ?? learnt[f];
    if (x !== undefined && x !== null) out[f] = x;
  }
  if (v.category) out.category = v.category;
  if (v.brand) out.brand = v.brand;
  return out;
}
