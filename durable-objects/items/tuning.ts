/**
 * Site-wide item statistics: where each product lives, and the knobs (wrangler vars).
 * A product's statistics and catalogue entry live in ItemStats object `${site}:${shard}`,
 * shard = fnv1a(product_id) mod ITEM_SHARDS; a site's trending lists in ItemTrends `${site}`.
 */

export interface ItemTuning {
  /** ITEM_STATS: "off" stops computing co-visits at flush (the bench compares on and off). */
  enabled: boolean;
  /** ITEM_SHARDS: objects per site for item statistics and the catalogue. Set before data exists. */
  shards: number;
  /** ITEM_HALF_LIFE_HOURS: co-visit weights and popularity halve this often (default 7 days). */
  halfLifeMs: number;
  /** TRENDING_HALF_LIFE_HOURS: trending counts halve this often (default 12 h). */
  trendHalfLifeMs: number;
  /** ITEM_SHARD_MAX_PRODUCTS: learnt products kept per shard; the least popular go first. */
  maxProducts: number;
  /** CATALOG_SHARD_MAX_PRODUCTS: catalogue entries per shard; more are refused per item. */
  maxCatalog: number;
}

/** Bounds that do not need tuning: neighbours per product, trending list lengths. */
export const ITEM_LIMITS = {
  /** Neighbours kept per product (the weakest is evicted), and how many a read returns. */
  neighbours: 40,
  neighboursRead: 20,
  /** Trending: products site-wide, products per category, categories per site. */
  trendingSite: 200,
  trendingCategory: 50,
  trendingCategories: 500,
  /** A co-visit pairs an interaction with at most this many distinct products before it... */
  steps: 5,
  /** ...in the same session: no gap between consecutive interactions longer than this. */
  sessionGapMs: 30 * 60_000,
} as const;

type ItemVars = Partial<Record<"ITEM_STATS" | "ITEM_SHARDS" | "ITEM_HALF_LIFE_HOURS" | "TRENDING_HALF_LIFE_HOURS" | "ITEM_SHARD_MAX_PRODUCTS" | "CATALOG_SHARD_MAX_PRODUCTS", string>>;

const int = (v: string | undefined, dflt: number, min: number, max: number): number => {
  const n = v === undefined || v === "" ? dflt : Number(v);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, Math.floor(n))) : dflt;
};

export function itemTuning(env: ItemVars): ItemTuning {
  return {
    enabled: (env.ITEM_STATS ?? "on") !== "off",
    shards: int(env.ITEM_SHARDS, 8, 1, 256),
    halfLifeMs: int(env.ITEM_HALF_LIFE_HOURS, 168, 1, 24 * 365) * 3_600_000,
    trendHalfLifeMs: int(env.TRENDING_HALF_LIFE_HOURS, 12, 1, 24 * 365) * 3_600_000,
    maxProducts: int(env.ITEM_SHARD_MAX_PRODUCTS, 50_000, 10, 10_000_000),
    maxCatalog: int(env.CATALOG_SHARD_MAX_PRODUCTS, 250_000, 10, 10_000_000),
  };
}

/** 32-bit FNV-1a over UTF-16 code units: stable, fast, no crypto needed for spreading keys. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export const shardOf = (productId: string, shards: number): number => fnv1a(productId) % shards;
export const itemsObjectName = (site: string, shard: number): string => `${site}:${shard}`;

/** Ids grouped by their shard, in first-seen order. */
export function byShard(ids: Iterable<string>, shards: number): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const id of ids) {
    const s = shardOf(id, shards);
    let list = out.get(s);
    if (!list) out.set(s, (list = []));
    if (!list.includes(id)) list.push(id);
  }
  return out;
}
