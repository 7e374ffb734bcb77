/**
 * One shard of a site's item knowledge: `${site}:${shard}`, shard = fnv1a(product_id) mod
 * ITEM_SHARDS. Per product one `stats` row (popularity, learnt category/brand/price, up to
 * ITEM_LIMITS.neighbours co-visited products, all time-decayed) and, when the site sent it,
 * one `catalog` row. Written once per consumer batch (`apply`) and by the catalogue feed;
 * read by recommendations (`read`), a few ids at a time.
 *
 * Write-back: `apply` updates parsed statistics in memory (reads see them at once) and an
 * alarm writes the products that changed to SQLite WRITE_BACK_MS later, so a product updated
 * by every consumer batch costs one row write per WRITE_BACK_MS, not one per batch, and its
 * JSON is parsed once. What has not been written yet is lost if the object is reset (a deploy):
 * at most WRITE_BACK_MS of statistics, never an event (the lake has every one).
 *
 * Bounds: a stats row holds at most 40 neighbours and strings of at most 128 characters
 * (~8 KB); a shard keeps at most ITEM_SHARD_MAX_PRODUCTS stats rows (evicting the least
 * popular, decayed, when 10% over) and CATALOG_SHARD_MAX_PRODUCTS catalogue rows (a new
 * product beyond that is refused; updates of known ones still pass); at most CACHE_MAX parsed
 * products stay in memory besides those waiting to be written.
 */
import { DurableObject } from "cloudflare:workers";
import type { CatalogItem } from "../../schemas";
import { factor, forStorage, live, mergeLive, topDecayed, type DecayedList, type LiveList } from "./decayed";
import { ITEM_LIMITS, itemTuning, type ItemTuning } from "./tuning";
import type { ShardUpdate } from "./updates";

export interface LearntAttrs {
  category?: string;
  brand?: string;
  price?: number;
  currency?: string;
}
export type CatalogDoc = Omit<CatalogItem, "product_id"> & { updated_at: string };

/** What a reader gets per product. */
export interface ItemView {
  id: string;
  /** Catalogue first, else learnt from events. */
  category: string | null;
  brand: string | null;
  /** false only when the catalogue says so. */
  available: boolean;
  /** Decayed interaction weight (views 1, clicks 2, carts 4, purchases 8). */
  popularity: number;
  learnt: LearntAttrs | null;
  catalog: CatalogDoc | null;
  /** Co-visited products, strongest first; b: the part carted or bought together (only when asked). */
  neighbours?: Neighbour[];
}

export interface Neighbour {
  id: string;
  w: number;
  b: number;
}

type StatsRow = { id: string; pop: number; t: number; attrs: string | null; nb: string | null };
/** A product's learnt statistics, parsed. */
interface Stats {
  pop: number;
  t: number;
  attrs: LearntAttrs;
  /** Parsed and merged in place (mergeLive); written rounded (forStorage). */
  nb: LiveList | null;
}

/** Changed statistics reach SQLite this long after the update (one alarm). */
export const WRITE_BACK_MS = 2000;
/** Parsed products kept in memory besides those waiting to be written. */
export const CACHE_MAX = 5000;

export class ItemStats extends DurableObject<Cloudflare.Env> {
  private readonly sql: SqlStorage;
  private readonly cfg: ItemTuning;
  private statsCount: number;
  private catalogCount: number;
  private readonly cache = new Map<string, { s: Stats; dirty: boolean }>();
  private writeBackArmed = false;

  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.cfg = itemTuning(env);
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS stats (id TEXT PRIMARY KEY, pop REAL NOT NULL, t INTEGER NOT NULL, attrs TEXT, nb TEXT) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS catalog (id TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID;
    `);
    this.statsCount = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM stats").one().n;
    this.catalogCount = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM catalog").one().n;
  }

  /** One consumer batch's co-visits, popularity and attributes for this shard's products. */
  async apply(u: ShardUpdate): Promise<{ products: number; evicted: number }> {
    const hl = this.cfg.halfLifeMs;
    for (const [id, p] of Object.entries(u.products)) {
      const cur = this.stats(id);
      const t = Math.max(cur?.t ?? u.at, u.at);
      const pop = (cur ? cur.pop * factor(cur.t, t, hl) : 0) + p.w * factor(u.at, t, hl);
      const attrs: LearntAttrs = { ...(cur?.attrs ?? {}) };
      if (p.category) attrs.category = p.category;
      if (p.brand) attrs.brand = p.brand;
      if (p.price !== undefined) attrs.price = p.price;
      if (p.currency) attrs.currency = p.currency;
      // In place: the parsed list is this object's own (reads copy what they return).
      const nb = Object.keys(p.nb).length ? mergeLive(cur?.nb ?? { t: u.at, e: new Map() }, p.nb, u.at, hl, ITEM_LIMITS.neighbours) : (cur?.nb ?? null);
      if (!cur) this.statsCount++;
      this.remember(id, { pop, t, attrs, nb }, true);
    }
    // Over the bound: write now, which evicts; else within WRITE_BACK_MS.
    if (this.statsCount > Math.floor(this.cfg.maxProducts * 1.1)) return { products: Object.keys(u.products).length, evicted: this.writeBack(u.at) };
    if (!this.writeBackArmed) {
      this.writeBackArmed = true;
      await this.ctx.storage.setAlarm(Date.now() + WRITE_BACK_MS);
    }
    return { products: Object.keys(u.products).length, evicted: 0 };
  }

  override async alarm(): Promise<void> {
    this.writeBack(Date.now());
  }

  /** Writes every changed product (one row each), then evicts beyond the bound. Returns how many were evicted. */
  private writeBack(now: number): number {
    this.writeBackArmed = false;
    return this.ctx.storage.transactionSync(() => {
      for (const [id, e] of this.cache) {
        if (!e.dirty) continue;
        const { pop, t, attrs, nb } = e.s;
        this.sql.exec(
          "INSERT INTO stats (id, pop, t, attrs, nb) VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET pop = excluded.pop, t = excluded.t, attrs = excluded.attrs, nb = excluded.nb",
          id, pop, t, Object.keys(attrs).length ? JSON.stringify(attrs) : null, nb ? JSON.stringify(forStorage(nb)) : null,
        );
        e.dirty = false;
      }
      const evicted = this.evict(now);
      for (const [id, e] of this.cache) {
        if (this.cache.size <= CACHE_MAX) break;
        if (!e.dirty) this.cache.delete(id);
      }
      return evicted;
    });
  }

  /** A product's statistics: from memory, else from its row (then kept in memory). */
  private stats(id: string): Stats | null {
    const c = this.cache.get(id);
    if (c) return c.s;
    const row = this.statsRow(id);
    if (!row) return null;
    const s: Stats = { pop: row.pop, t: row.t, attrs: row.attrs ? (JSON.parse(row.attrs) as LearntAttrs) : {}, nb: row.nb ? live(JSON.parse(row.nb) as DecayedList) : null };
    this.remember(id, s, false);
    return s;
  }

  private remember(id: string, s: Stats, dirty: boolean): void {
    const prev = this.cache.get(id);
    this.cache.delete(id); // newest last: the oldest clean entries go first
    this.cache.set(id, { s, dirty: dirty || !!prev?.dirty });
    if (this.cache.size > CACHE_MAX * 2) {
      for (const [k, e] of this.cache) {
        if (this.cache.size <= CACHE_MAX) break;
        if (!e.dirty) this.cache.delete(k);
      }
    }
  }

  /** Upserts catalogue entries (fields not named keep their value). New products beyond the bound are refused. */
  async upsertCatalog(items: CatalogItem[], now = Date.now()): Promise<{ accepted: string[]; full: string[] }> {
    const out = { accepted: [] as string[], full: [] as string[] };
    this.ctx.storage.transactionSync(() => {
      for (const { product_id, ...fields } of items) {
        const cur = this.catalogRow(product_id);
        if (!cur && this.catalogCount >= this.cfg.maxCatalog) {
          out.full.push(product_id);
          continue;
        }
        const doc: CatalogDoc = { ...(cur ?? {}), ...fields, updated_at: new Date(now).toISOString() };
        this.sql.exec("INSERT INTO catalog (id, doc) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc", product_id, JSON.stringify(doc));
        if (!cur) this.catalogCount++;
        out.accepted.push(product_id);
      }
    });
    return out;
  }

  /** Products by id (unknown ids are left out); neighbours only for `neighboursOf`. */
  async read(ids: string[], neighboursOf: string[] = [], now = Date.now()): Promise<Record<string, ItemView>> {
    const out: Record<string, ItemView> = {};
    const wantNb = new Set(neighboursOf);
    for (const id of new Set([...ids, ...neighboursOf])) {
      const st = this.stats(id);
      const catalog = this.catalogRow(id);
      if (!st && !catalog) continue;
      const learnt = st && Object.keys(st.attrs).length ? st.attrs : null;
      const v: ItemView = {
        id,
        category: catalog?.category ?? learnt?.category ?? null,
        brand: catalog?.brand ?? learnt?.brand ?? null,
        available: catalog?.available !== false,
        popularity: st ? Math.round(st.pop * factor(st.t, now, this.cfg.halfLifeMs) * 1000) / 1000 : 0,
        learnt,
        catalog,
      };
      if (wantNb.has(id)) v.neighbours = topDecayed(st?.nb ?? null, now, this.cfg.halfLifeMs, ITEM_LIMITS.neighboursRead).map((n) => ({ id: n.key, w: n.w, b: n.b }));
      out[id] = v;
    }
    return out;
  }

  /** Counts, for operators and the bounds test: products (written or waiting), catalogue entries, parsed in memory. */
  async size(): Promise<{ stats: number; catalog: number; cached: number; max_stats: number; max_catalog: number }> {
    return { stats: this.statsCount, catalog: this.catalogCount, cached: this.cache.size, max_stats: this.cfg.maxProducts, max_catalog: this.cfg.maxCatalog };
  }

  /** 10% over the bound: drop the least popular (decayed to now) down to 90% of it. */
  private evict(now: number): number {
    const max = this.cfg.maxProducts;
    if (this.statsCount <= Math.floor(max * 1.1)) return 0;
    const hl = this.cfg.halfLifeMs;
    const rows = this.sql.exec<{ id: string; pop: number; t: number }>("SELECT id, pop, t FROM stats").toArray();
    rows.sort((a, b) => a.pop * factor(a.t, now, hl) - b.pop * factor(b.t, now, hl));
    const drop = rows.slice(0, rows.length - Math.floor(max * 0.9));
    for (const r of drop) {
      this.sql.exec("DELETE FROM stats WHERE id = ?", r.id);
      this.cache.delete(r.id);
    }
    this.statsCount -= drop.length;
    return drop.length;
  }

  private statsRow(id: string): StatsRow | null {
    return this.sql.exec<StatsRow>("SELECT id, pop, t, attrs, nb FROM stats WHERE id = ?", id).toArray()[0] ?? null;
  }

  private catalogRow(id: string): CatalogDoc | null {
    const r = this.sql.exec<{ doc: string }>("SELECT doc FROM catalog WHERE id = ?", id).toArray()[0];
    return r ? (JSON.parse(r.doc) as CatalogDoc) : null;
  }
}
