/**
 * Site-wide item statistics in workerd: the consumer applies a chunk's delta exactly once
 * (redeliveries and re-sends do not count twice), and every bound of ItemStats and ItemTrends
 * holds when filled (the workers project sets ITEM_SHARD_MAX_PRODUCTS and
 * CATALOG_SHARD_MAX_PRODUCTS to 200; neighbours and trending bounds are the real ones).
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { FlushChunk } from "../schemas";
import worker from "../worker";
import { itemDelta } from "../durable-objects/items/covisit";
import { ITEM_LIMITS, itemsObjectName, itemTuning, shardOf } from "../durable-objects/items/tuning";
import type { ShardUpdate } from "../durable-objects/items/updates";
import { eventually } from "./eventually";
import { uid } from "./helpers";
import { record } from "./records";

const msg = (body: unknown) => ({ id: uid("m"), timestamp: new Date(), attempts: 1, body });
async function consume(bodies: unknown[]) {
  const batch = createMessageBatch("collector-events", bodies.map(msg));
  const ctx = createExecutionContext();
  await worker.queue!(batch as never, env, ctx);
  return getQueueResult(batch, ctx);
}
const shardStub = (site: string, id: string) => env.ITEMS.get(env.ITEMS.idFromName(itemsObjectName(site, shardOf(id, itemTuning(env).shards))));

describe("applying item statistics from the queue", () => {
  it("counts a chunk once, however often it is delivered", async () => {
    const site = "recs-bounds";
    const a = `dup-a-${uid()}`;
    const b = `dup-b-${uid()}`;
    const at = Date.now();
    const records = [
      record({ site, type: "product_view", props: { product_id: a, category: "shoes", brand: "Acme", price: 10, currency: "EUR" }, ts: new Date(at).toISOString() }),
      record({ site, type: "product_view", props: { product_id: b, category: "socks" }, ts: new Date(at + 1000).toISOString() }),
    ];
    const c: FlushChunk = { v: 1, chunk: uid("chunk"), site, records, items: itemDelta(records, [])! };
    const first = await consume([c, structuredClone(c)]); // a re-send in the same batch
    expect(first.retryMessages).toEqual([]);
    await consume([structuredClone(c)]); // a redelivery later
    const got = { ...(await shardStub(site, a).read([], [a])), ...(await shardStub(site, b).read([b])) };
    expect(got[a]).toMatchObject({ category: "shoes", brand: "Acme", learnt: { category: "shoes", brand: "Acme", price: 10, currency: "EUR" } });
    expect(got[a]!.popularity).toBeCloseTo(1, 2);
    expect(got[a]!.neighbours).toEqual([{ id: b, w: 1, b: 0 }]);
    expect(got[b]!.popularity).toBeCloseTo(1, 2);
    // Written to SQLite by the write-back alarm, shortly after.
    await eventually(async () => (await runSql(shardStub(site, a), `SELECT count(*) AS n FROM stats WHERE id = '${a}'`)) === 1, { what: "the write-back of the statistics", ms: 10_000 });
    const trending = await env.TRENDS.get(env.TRENDS.idFromName(site)).lists(["socks"], 10);
    expect(trending[0]!.items).toEqual([{ product_id: b, score: 1 }]);
  });
});

describe("bounds, filled", () => {
  it("keeps at most 40 neighbours per product and about ITEM_SHARD_MAX_PRODUCTS products per shard, the popular ones", async () => {
    const site = `fill-${uid()}`;
    const stub = env.ITEMS.get(env.ITEMS.idFromName(itemsObjectName(site, 0)));
    const max = (await stub.size()).max_stats;
    expect(max).toBe(200);
    const at = Date.now();
    const nb = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`n${i}-${"x".repeat(100)}`, [1 + i, 0] as [number, number]]));
    for (let round = 0; round < 5; round++) {
      const products: ShardUpdate["products"] = {};
      for (let i = 0; i < 100; i++) products[`r${round}-p${i}`] = { w: round === 0 && i === 0 ? 1000 : 1, category: "c".repeat(128), brand: "b".repeat(128), nb };
      await stub.apply({ site, shard: 0, at: at + round, products });
      const size = await stub.size();
      expect(size.stats).toBeLessThanOrEqual(Math.floor(max * 1.1));
    }
    expect((await stub.size()).stats).toBeGreaterThanOrEqual(Math.floor(max * 0.9));
    const got = await stub.read(["r0-p0", "r0-p1"], ["r4-p1"]);
    expect(got["r0-p0"]).toBeDefined(); // the most popular product survives eviction
    expect(got["r0-p1"]).toBeUndefined(); // an unpopular early one does not
    expect(got["r4-p1"]!.neighbours).toHaveLength(ITEM_LIMITS.neighboursRead);
    const stored = await runSql(stub, "SELECT max(length(nb)) AS n FROM stats");
    expect(stored).toBeLessThan(8_000); // 40 neighbours of 110-character ids, one row
  });

  it("refuses new catalogue products beyond CATALOG_SHARD_MAX_PRODUCTS, still updates known ones", async () => {
    const site = `fill-${uid()}`;
    const stub = env.ITEMS.get(env.ITEMS.idFromName(itemsObjectName(site, 0)));
    const first = await stub.upsertCatalog(Array.from({ length: 250 }, (_, i) => ({ product_id: `p${i}`, title: "t".repeat(512), available: true })));
    expect(first.accepted).toHaveLength(200);
    expect(first.full).toEqual(Array.from({ length: 50 }, (_, i) => `p${200 + i}`));
    const again = await stub.upsertCatalog([{ product_id: "p3", available: false }, { product_id: "new" }]);
    expect(again).toEqual({ accepted: ["p3"], full: ["new"] });
    expect((await stub.read(["p3"]))["p3"]).toMatchObject({ available: false, catalog: { title: "t".repeat(512), available: false } });
  });

  it("keeps 200 trending products site-wide, 50 per category and 500 categories", async () => {
    const site = `fill-${uid()}`;
    const stub = env.TRENDS.get(env.TRENDS.idFromName(site));
    const at = Date.now();
    for (let round = 0; round < 3; round++) {
      const items: Record<string, { w: number; category?: string }> = {};
      for (let i = 0; i < 400; i++) items[`r${round}-p${i}`] = { w: 1 + (i % 5), category: `cat-${round * 400 + (i % 300)}` };
      for (let i = 0; i < 80; i++) items[`same-${round}-${i}`] = { w: 1, category: "big" };
      await stub.apply({ site, at: at + round, items });
    }
    const size = await stub.size();
    expect(size).toEqual({ categories: ITEM_LIMITS.trendingCategories, site: ITEM_LIMITS.trendingSite, largest_category: ITEM_LIMITS.trendingCategory });
  });
});

async function runSql(stub: DurableObjectStub, query: string): Promise<number> {
  const { runInDurableObject } = await import("cloudflare:test");
  return runInDurableObject(stub, (_i, state) => state.storage.sql.exec<{ n: number }>(query).one().n);
}
