/**
 * A site's trending products: decayed interaction weights (views 1, clicks 2, carts 4,
 * purchases 8; half-life TRENDING_HALF_LIFE_HOURS), site-wide and per category. One object
 * per site, written once per consumer batch, read by recommendations (cached per isolate).
 *
 * Bounds: one row site-wide (200 products) and one row per category (50 products each) for at
 * most 500 categories (the category with the least decayed total weight is dropped first):
 * about 500 x 50 x 150 bytes = 4 MB of SQLite at most.
 */
import { DurableObject } from "cloudflare:workers";
import { mergeDecayed, topDecayed, totalDecayed, type DecayedList } from "./decayed";
import { ITEM_LIMITS, itemTuning } from "./tuning";
import type { TrendUpdate } from "./updates";

export interface Trending {
  /** Strongest first. */
  items: { product_id: string; score: number }[];
}

const SITE = "";
const cat = (c: string) => `c:${c}`;

export class ItemTrends extends DurableObject<Cloudflare.Env> {
  private readonly sql: SqlStorage;
  private readonly halfLifeMs: number;
  private categories: number;

  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.halfLifeMs = itemTuning(env).trendHalfLifeMs;
    this.sql.exec("CREATE TABLE IF NOT EXISTS lists (k TEXT PRIMARY KEY, list TEXT NOT NULL) WITHOUT ROWID");
    this.categories = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM lists WHERE k <> ''").one().n;
  }

  async apply(u: TrendUpdate): Promise<void> {
    const all: Record<string, [number, number]> = {};
    const byCat = new Map<string, Record<string, [number, number]>>();
    for (const [id, { w, category }] of Object.entries(u.items)) {
      all[id] = [w, 0];
      if (!category) continue;
      let m = byCat.get(category);
      if (!m) byCat.set(category, (m = {}));
      m[id] = [w, 0];
    }
    this.ctx.storage.transactionSync(() => {
      this.merge(SITE, all, u.at, ITEM_LIMITS.trendingSite);
      for (const [c, adds] of byCat) this.merge(cat(c), adds, u.at, ITEM_LIMITS.trendingCategory);
      this.evictCategories(u.at);
    });
  }

  /** The `limit` strongest products of each list asked: null = site-wide, else a category. */
  async lists(categories: (string | null)[], limit: number, now = Date.now()): Promise<Trending[]> {
    return categories.map((c) => ({
      items: topDecayed(this.list(c === null ? SITE : cat(c)), now, this.halfLifeMs, limit).map((e) => ({ product_id: e.key, score: Math.round(e.w * 1000) / 1000 })),
    }));
  }

  async size(): Promise<{ categories: number; site: number; largest_category: number }> {
    let largest = 0;
    for (const r of this.sql.exec<{ list: string }>("SELECT list FROM lists WHERE k <> ''")) largest = Math.max(largest, Object.keys((JSON.parse(r.list) as DecayedList).e).length);
    return { categories: this.categories, site: Object.keys(this.list(SITE)?.e ?? {}).length, largest_category: largest };
  }

  private merge(k: string, adds: Record<string, [number, number]>, at: number, cap: number): void {
    const old = this.list(k);
    if (!old && k !== SITE) this.categories++;
    this.sql.exec("INSERT INTO lists (k, list) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET list = excluded.list", k, JSON.stringify(mergeDecayed(old, adds, at, this.halfLifeMs, cap)));
  }

  private evictCategories(now: number): void {
    const over = this.categories - ITEM_LIMITS.trendingCategories;
    if (over <= 0) return;
    const rows = this.sql.exec<{ k: string; list: string }>("SELECT k, list FROM lists WHERE k <> ''").toArray();
    const weakest = rows
      .map((r) => ({ k: r.k, total: totalDecayed(JSON.parse(r.list) as DecayedList, now, this.halfLifeMs) }))
      .sort((a, b) => a.total - b.total)
      .slice(0, over);
    for (const w of weakest) this.sql.exec("DELETE FROM lists WHERE k = ?", w.k);
    this.categories -= weakest.length;
  }

  private list(k: string): DecayedList | null {
    const r = this.sql.exec<{ list: string }>("SELECT list FROM lists WHERE k = ?", k).toArray()[0];
    return r ? (JSON.parse(r.list) as DecayedList) : null;
  }
}
