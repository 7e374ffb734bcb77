/**
 * recommend(env, site, id, opts): the whole read, for the route today and the browser stream
 * later. Three rounds of parallel reads, each bounded:
 *   1. the user's object (rankingInput: only what ranking needs), the context product's
 *      neighbours (one shard), the site's (or the asked category's) trending list
 *   2. the neighbours of the person's recent products (at most 5 products, so at most 5 shards)
 *      and the trending lists of their two favourite categories
 *   3. catalogue and attributes of the best candidates by co-visits and trending (max(40, 4 x limit)
 *      products, or the <= 100 given ones; at most ITEM_SHARDS shards)
 * Item statistics and trending lists are cached per isolate for CACHE_MS (recs/cache.ts); the
 * user's object is read every time, so a person's own event shows at once.
 */
import type { ItemView, Neighbour } from "../../durable-objects/items/item-stats";
import { byShard, itemsObjectName, itemTuning } from "../../durable-objects/items/tuning";
import { profileStub } from "../../durable-objects/stub";
import { TtlCache } from "./cache";
import type { RecOptions } from "./query";
import { candidatePool, rank, seedsOf, trendKeys, type RecItem, type Signals, type Strategy, type TrendList } from "./rank";

export const CACHE_MS = 3000;
const TREND_LEN = 30;

export interface Recommendations {
  site: string;
  id: string;
  strategy: Strategy;
  generated_at: string;
  items: RecItem[];
}

interface SiteCache {
  meta: TtlCache<ItemView | null>;
  nbs: TtlCache<Neighbour[]>;
  trends: TtlCache<TrendList>;
}
const caches = new Map<string, SiteCache>();
/** This isolate's caches of a site (sites are configured, so their number is bounded). */
function cacheOf(site: string): SiteCache {
  let c = caches.get(site);
  if (!c) caches.set(site, (c = { meta: new TtlCache(20_000, CACHE_MS), nbs: new TtlCache(20_000, CACHE_MS), trends: new TtlCache(1_000, CACHE_MS) }));
  return c;
}

/** Forget cached attributes of products whose catalogue entry just changed (this isolate). */
export function forgetItems(site: string, ids: Iterable<string>): void {
  const { meta } = cacheOf(site);
  for (const id of ids) meta.delete(id);
}

/** Catalogue and attributes (and neighbours for `withNeighbours`) of products: one RPC per shard with misses. */
async function readItems(env: Env, site: string, ids: string[], withNeighbours: string[], now: number): Promise<void> {
  const { meta, nbs } = cacheOf(site);
  const needMeta = ids.filter((id) => meta.get(id, now) === undefined);
  const needNb = withNeighbours.filter((id) => nbs.get(id, now) === undefined);
  if (!needMeta.length && !needNb.length) return;
  const shards = itemTuning(env).shards;
  const metaBy = byShard(needMeta, shards);
  const nbBy = byShard(needNb, shards);
  await Promise.all(
    [...new Set([...metaBy.keys(), ...nbBy.keys()])].map(async (s) => {
      const m = metaBy.get(s) ?? [];
      const n = nbBy.get(s) ?? [];
      const got = await env.ITEMS.get(env.ITEMS.idFromName(itemsObjectName(site, s))).read(m, n, now);
      for (const id of m) meta.set(id, got[id] ?? null, now);
      for (const id of n) {
        const v = got[id];
        nbs.set(id, v?.neighbours ?? [], now);
        if (v) meta.set(id, { ...v, neighbours: undefined }, now);
      }
    }),
  );
}

async function readTrends(env: Env, site: string, keys: { category: string | null; weight: number }[], now: number): Promise<TrendList[]> {
  const trendCache = cacheOf(site).trends;
  const k = (c: string | null) => (c === null ? "\u0000site" : c);
  const missing = keys.map((x) => x.category).filter((c) => trendCache.get(k(c), now) === undefined);
  if (missing.length) {
    const stub = env.TRENDS.get(env.TRENDS.idFromName(site));
    const lists = await stub.lists(missing, TREND_LEN, now);
    missing.forEach((c, i) => trendCache.set(k(c), { category: c, items: lists[i]!.items }, now));
  }
  return keys.map(({ category, weight }) => ({ ...(trendCache.get(k(category), now) ?? { category, items: [] }), weight }));
}

/** The recommendations of `id` (for the route, and later the browser stream). */
export async function recommend(env: Env, site: string, id: string, opts: RecOptions, signals?: Signals): Promise<Recommendations> {
  return (await recommendFor(env, site, id, opts, signals)).recommendations;
}

/** The same, with the user id of the object read (for the visitor check; never in the answer). */
export async function recommendFor(env: Env, site: string, id: string, opts: RecOptions, signals?: Signals): Promise<{ recommendations: Recommendations; userId: string | null }> {
  const now = Date.now();
  const [user] = await Promise.all([
    profileStub(env, site, id).rankingInput(),
    opts.context ? readItems(env, site, [], [opts.context], now) : undefined,
    readTrends(env, site, trendKeys(null, opts.category), now),
  ]);
  const seeds = seedsOf(user, opts.context).map((s) => s.id);
  const { meta, nbs } = cacheOf(site);
  const keys = trendKeys(user, opts.category, opts.context ? (meta.get(opts.context, now)?.category ?? null) : null);
  const [, trends] = await Promise.all([readItems(env, site, [], seeds, now), readTrends(env, site, keys, now)]);
  const neighbours = new Map(seeds.map((s) => [s, nbs.get(s, now) ?? []]));
  const pool = candidatePool(opts, user, neighbours, trends, signals);
  await readItems(env, site, pool, [], now);
  const items = new Map<string, ItemView>();
  for (const p of pool) {
    const v = meta.get(p, now);
    if (v) items.set(p, v);
  }
  const ranked = rank({ opts, pool, user, neighbours, trends, items, ...(signals ? { signals } : {}) });
  return { recommendations: { site, id, strategy: ranked.strategy, generated_at: new Date(now).toISOString(), items: ranked.items }, userId: user?.user_id ?? null };
}
