/**
 * recommend(env, site, id, opts): the whole read, for the route today and the browser stream
 * later. Three rounds of parallel reads, each bounded:
 *   1. the user's object (rankingInput: only what ranking needs), the context product's
 *      neighbours (one shard), the site's (or the asked category's) trending list
 *   2. the neighbours of the person's recent products (at most 5 products, so at most 5 shards)
 *      and the trending lists of their two favourite categories
 *   3. catalogue and attributes of the best candidates by co-visits and trending (max(40, 4 x limit)
 *      products, or the <= 100 given ones; at most ITEM_SHARDS shards)
 * Item statistics and trending lists come from a per-isolate cache (recs/cache.ts): a request
 * reads only what the cache misses; what requests used is read again in the background every
 * ITEM_CACHE.freshMs (one RPC per shard and one for the trends, whatever the traffic), so a
 * warm isolate answers with one RPC, the user's object, read every time so that a person's own
 * event shows at once.
 */
import type { ItemView, Neighbour } from "../../durable-objects/items/item-stats";
import { byShard, itemsObjectName, itemTuning } from "../../durable-objects/items/tuning";
import { log } from "../../durable-objects/lib/log";
import { profileStub } from "../../durable-objects/stub";
import { ITEM_CACHE, SwrCache } from "./cache";
import type { RecOptions } from "./query";
import { poolOf, poolSize, rank, scoresOf, seedsOf, trendKeys, type RecItem, type Signals, type Strategy, type TrendList } from "./rank";

const TREND_LEN = 30;
/** A background refresh not finished after this long no longer stops the next one. */
const REFRESH_TIMEOUT_MS = 10_000;

export interface Recommendations {
  site: string;
  id: string;
  strategy: Strategy;
  generated_at: string;
  items: RecItem[];
}

/** Keeps a background read alive after the answer (the request's `waitUntil`). */
export type WaitUntil = (p: Promise<unknown>) => void;

/** The request's waitUntil, if it has an execution context (`app.request()` in a unit test has none). */
export function waitUntilOf(c: { executionCtx: { waitUntil(p: Promise<unknown>): void } }): WaitUntil | undefined {
  try {
    const ctx = c.executionCtx;
    return (p) => ctx.waitUntil(p);
  } catch {
    return undefined;
  }
}

interface SiteCache {
  meta: SwrCache<ItemView | null>;
  nbs: SwrCache<Neighbour[]>;
  trends: SwrCache<TrendList>;
  /** When the last background refresh began (0: never). */
  refreshedAt: number;
  /** When the refresh under way began (0: none). */
  refreshing: number;
  /** Bumped when catalogue entries are forgotten: a refresh begun before does not put them back. */
  gen: number;
}
const caches = new Map<string, SiteCache>();
/** This isolate's caches of a site (sites are configured, so their number is bounded). */
function cacheOf(site: string): SiteCache {
  let c = caches.get(site);
  if (!c) {
    const { freshMs, maxAgeMs } = ITEM_CACHE;
    c = { meta: new SwrCache(20_000, freshMs, maxAgeMs), nbs: new SwrCache(20_000, freshMs, maxAgeMs), trends: new SwrCache(1_000, freshMs, maxAgeMs), refreshedAt: 0, refreshing: 0, gen: 0 };
    caches.set(site, c);
  }
  return c;
}

/** Forget cached attributes of products whose catalogue entry just changed (this isolate). */
export function forgetItems(site: string, ids: Iterable<string>): void {
  const c = cacheOf(site);
  c.gen++;
  for (const id of ids) c.meta.delete(id);
}

const trendKey = (c: string | null) => (c === null ? "\u0000site" : c);
const trendCategory = (k: string) => (k === "\u0000site" ? null : k);

/** Catalogue and attributes (and neighbours for `nbIds`) read at `at`: one RPC per shard. `gen`: only if nothing was forgotten meanwhile. */
async function fetchItems(env: Env, site: string, c: SiteCache, metaIds: string[], nbIds: string[], at: number, gen?: number): Promise<void> {
  const shards = itemTuning(env).shards;
  const metaBy = byShard(metaIds, shards);
  const nbBy = byShard(nbIds, shards);
  await Promise.all(
    [...new Set([...metaBy.keys(), ...nbBy.keys()])].map(async (s) => {
      const m = metaBy.get(s) ?? [];
      const n = nbBy.get(s) ?? [];
      const got = await env.ITEMS.get(env.ITEMS.idFromName(itemsObjectName(site, s))).read(m, n, at);
      if (gen !== undefined && gen !== c.gen) return;
      for (const id of m) c.meta.set(id, got[id] ?? null, at);
      for (const id of n) {
        const v = got[id];
        c.nbs.set(id, v?.neighbours ?? [], at);
        if (v) c.meta.set(id, { ...v, neighbours: undefined }, at);
      }
    }),
  );
}

async function fetchTrends(env: Env, site: string, c: SiteCache, keys: string[], at: number): Promise<void> {
  const categories = keys.map(trendCategory);
  const lists = await env.TRENDS.get(env.TRENDS.idFromName(site)).lists(categories, TREND_LEN, at);
  categories.forEach((cat, i) => c.trends.set(keys[i]!, { category: cat, items: lists[i]!.items }, at));
}

/** What the cache misses of these products, read now (the request waits). */
async function readItems(env: Env, site: string, ids: string[], withNeighbours: string[], now: number): Promise<void> {
  const c = cacheOf(site);
  const needMeta = ids.filter((id) => c.meta.get(id, now) === undefined);
  const needNb = withNeighbours.filter((id) => c.nbs.get(id, now) === undefined);
  if (needMeta.length || needNb.length) await fetchItems(env, site, c, needMeta, needNb, now);
}

async function readTrends(env: Env, site: string, keys: { category: string | null; weight: number }[], now: number): Promise<TrendList[]> {
  const c = cacheOf(site);
  const missing = keys.map((x) => trendKey(x.category)).filter((k) => c.trends.get(k, now) === undefined);
  if (missing.length) await fetchTrends(env, site, c, missing, now);
  return keys.map(({ category, weight }) => ({ ...(c.trends.get(trendKey(category), now) ?? { category, items: [] }), weight }));
}

/**
 * Every ITEM_CACHE.freshMs, in the background: what requests used since it was loaded is
 * read again (one RPC per shard holding some, one for the trends), what nobody used is dropped.
 */
function refreshInBackground(env: Env, site: string, now: number, waitUntil: WaitUntil | undefined): void {
  const c = cacheOf(site);
  if (now - c.refreshedAt < ITEM_CACHE.freshMs) return;
  if (c.refreshing && now - c.refreshing < REFRESH_TIMEOUT_MS) return;
  c.refreshing = now;
  const gen = c.gen;
  const metaIds = c.meta.sweep(now);
  const nbIds = c.nbs.sweep(now);
  const trendKeys = c.trends.sweep(now);
  const p = Promise.all([
    metaIds.length || nbIds.length ? fetchItems(env, site, c, metaIds, nbIds, now, gen) : undefined,
    trendKeys.length ? fetchTrends(env, site, c, trendKeys, now) : undefined,
  ]).then(
    () => {
      c.refreshedAt = now;
    },
    (err: unknown) => log("recommendation cache refresh failed", { site, error: err instanceof Error ? err.message : String(err) }),
  ).finally(() => {
    if (c.refreshing === now) c.refreshing = 0;
  });
  if (waitUntil) waitUntil(p);
}

/** The recommendations of `id` (for the route, and later the browser stream). */
export async function recommend(env: Env, site: string, id: string, opts: RecOptions, signals?: Signals, waitUntil?: WaitUntil): Promise<Recommendations> {
  return (await recommendFor(env, site, id, opts, signals, waitUntil)).recommendations;
}

/** The same, with the user id of the object read (for the visitor check; never in the answer). */
export async function recommendFor(env: Env, site: string, id: string, opts: RecOptions, signals?: Signals, waitUntil?: WaitUntil): Promise<{ recommendations: Recommendations; userId: string | null }> {
  const now = Date.now();
  refreshInBackground(env, site, now, waitUntil);
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
  const scores = scoresOf(opts, user, neighbours, trends, signals);
  const pool = opts.candidates ?? poolOf(scores, poolSize(opts));
  await readItems(env, site, pool, [], now);
  const items = new Map<string, ItemView>();
  for (const p of pool) {
    const v = meta.get(p, now);
    if (v) items.set(p, v);
  }
  const ranked = rank({ opts, pool, user, neighbours, trends, items, scores, ...(signals ? { signals } : {}) });
  return { recommendations: { site, id, strategy: ranked.strategy, generated_at: new Date(now).toISOString(), items: ranked.items }, userId: user?.user_id ?? null };
}
