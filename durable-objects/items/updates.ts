/**
 * The queue consumer's side of item statistics, pure: the deltas of a batch's chunks (only
 * those this run wrote to the lake, so a redelivery never counts twice) summed into one update
 * per ItemStats shard and one per site's ItemTrends. One RPC per object per consumer batch,
 * whatever the number of events: that is what bounds the request rate of the busiest object.
 */
import type { ItemDelta } from "../../schemas";
import { factor } from "./decayed";
import { itemsObjectName, shardOf } from "./tuning";

/** Weight a pair adds to the earlier product's list (`to` followed `from`); the reverse gets REVERSE of it. */
export const REVERSE = 0.5;

export interface ProductUpdate {
  /** Interaction weight (popularity). */
  w: number;
  category?: string;
  brand?: string;
  price?: number;
  currency?: string;
  /** neighbour -> [weight, bought weight] */
  nb: Record<string, [number, number]>;
}
export interface ShardUpdate {
  site: string;
  shard: number;
  /** The time all weights are valid at. */
  at: number;
  products: Record<string, ProductUpdate>;
}
export interface TrendUpdate {
  site: string;
  at: number;
  /** product -> weight, and the category it counts in (when known). */
  items: Record<string, { w: number; category?: string }>;
}
export interface ItemPlan {
  shards: Map<string, ShardUpdate>;
  trends: Map<string, TrendUpdate>;
}

/** Sums deltas (each valid at its own time) into per-object updates valid at the newest time of their site. */
export function planItemUpdates(deltas: readonly { site: string; items: ItemDelta }[], shards: number, halfLifeMs: number, trendHalfLifeMs: number): ItemPlan {
  const newest = new Map<string, number>();
  for (const d of deltas) newest.set(d.site, Math.max(newest.get(d.site) ?? 0, d.items.at));
  const plan: ItemPlan = { shards: new Map(), trends: new Map() };
  const product = (site: string, id: string): ProductUpdate => {
    const shard = shardOf(id, shards);
    const name = itemsObjectName(site, shard);
    let u = plan.shards.get(name);
    if (!u) plan.shards.set(name, (u = { site, shard, at: newest.get(site)!, products: {} }));
    return (u.products[id] ??= { w: 0, nb: {} });
  };
  const add = (nb: Record<string, [number, number]>, k: string, w: number, b: number) => {
    const cur = (nb[k] ??= [0, 0]);
    cur[0] += w;
    cur[1] += b;
  };
  for (const { site, items } of deltas) {
    const at = newest.get(site)!;
    const f = factor(items.at, at, halfLifeMs);
    const ft = factor(items.at, at, trendHalfLifeMs);
    let trend = plan.trends.get(site);
    if (!trend) plan.trends.set(site, (trend = { site, at, items: {} }));
    for (const p of items.products) {
      const u = product(site, p.id);
      u.w += p.w * f;
      if (p.category) u.category = p.category;
      if (p.brand) u.brand = p.brand;
      if (p.price !== undefined) u.price = p.price;
      if (p.currency) u.currency = p.currency;
      if (p.w > 0) {
        const t = (trend.items[p.id] ??= { w: 0 });
        t.w += p.w * ft;
        if (p.category) t.category = p.category;
      }
    }
    for (const [from, to, w, b] of items.pairs) {
      const a = items.products[from]?.id;
      const z = items.products[to]?.id;
      if (!a || !z || a === z) continue;
      add(product(site, a).nb, z, w * f, b * f);
      add(product(site, z).nb, a, w * f * REVERSE, b * f * REVERSE);
    }
  }
  return plan;
}

/**
 * Which chunks of a consumer run apply their delta: every lake partition of the chunk is
 * settled ("written" now or "done" before) and at least one was written by this run.
 */
export function chunksToApply(outcomes: Iterable<[chunk: string, outcome: string]>): Set<string> {
  const state = new Map<string, { written: boolean; unsettled: boolean }>();
  for (const [chunk, o] of outcomes) {
    const s = state.get(chunk) ?? { written: false, unsettled: false };
    if (o === "written") s.written = true;
    else if (o !== "done") s.unsettled = true;
    state.set(chunk, s);
  }
  return new Set([...state].filter(([, s]) => s.written && !s.unsettled).map(([c]) => c));
}
