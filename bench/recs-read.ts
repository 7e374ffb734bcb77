/**
 * The read side of the recommendation bench, shared by bench/recs.ts (`npm run bench`) and
 * bench/compare.ts (`--only recs`, two builds in one run): seeding a collector with 1,000
 * people with profiles and a catalogue, and GET /v1/recommendations at a number of
 * connections next to the 204 ceiling and the read floor (one RPC to the person's object,
 * servers.ts) at the same connections, with what the requests cost in Durable Object RPCs
 * (the per-isolate cache's misses are item and trend reads).
 */
import { ITEM_CACHE } from "../worker/recs/cache";
import { beacon } from "./bodies";
import { diffCounters, type Counters } from "./cost";
import { counters, drainBeacons as drain } from "./drain";
import type { LoadResult } from "./load";
import { runLoad } from "./runner";
import { ADMIN_TOKEN, type Server } from "./servers";
import { ratio } from "./stats";

export const READ_USERS = 1000;
export const READ_SITE = "bench";
/** The connections of the sweep besides the run's own (50): a page alone, and a little queueing. */
export const SWEEP_CONNECTIONS = [1, 10] as const;

/** RPCs per answered request, from the bench entry's counters. */
export interface ReadRpcs {
  user: number;
  item_reads: number;
  trend_reads: number;
}

export interface ReadPoint {
  connections: number;
  load: LoadResult;
  ceiling: LoadResult;
  /** The same requests to the read floor (a worker reading one object per person), if run. */
  floor?: LoadResult;
  /** req/s as a share of the ceiling's at the same connections. */
  ratio_rps: number;
  rpcs: ReadRpcs;
}

export function rpcsOf(used: Counters, ok: number): ReadRpcs {
  const per = (n: number) => Math.round((n / Math.max(1, ok)) * 1000) / 1000;
  return { user: per(used.profile_reads), item_reads: per(used.item_reads ?? 0), trend_reads: per(used.trend_reads ?? 0) };
}

/** 1,000 people with a 10-event beacon each, and a catalogue of 500 products; waits until the statistics are built. */
export async function seedReads(c: Server, runId: string, log: (s: string) => void): Promise<void> {
  log(`seeding ${READ_USERS} users with a 10-event beacon each, and a catalogue of 500 products`);
  const items = Array.from({ length: 500 }, (_, i) => ({ product_id: `sku-${i}`, title: `Product ${i}`, url: `https://shop.example/p/sku-${i}`, price: 10 + (i % 90), currency: "EUR", category: ["shoes", "bags", "shirts", "jackets", "hats", "socks", "watches", "belts"][i % 8], available: i % 50 !== 0 }));
  const res = await fetch(`${c.url}/v1/catalog/${READ_SITE}`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" }, body: JSON.stringify({ items }) });
  if (res.status !== 200) throw new Error(`catalogue: ${res.status}`);
  const before = await counters(c);
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < READ_USERS) {
      const n = next++;
      const body = beacon({ site: READ_SITE, user: `u-${n}`, events: 10, prefix: `${runId}-seed-${n}`, offset: (n * 37) % 500 });
      const r = await fetch(`${c.url}/v1/collect`, { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify(body) });
      if (r.status !== 202) throw new Error(`seed: ${r.status}`);
    }
  }));
  await drain(c, before, 10, 120_000);
  await new Promise((r) => setTimeout(r, ITEM_CACHE.maxAgeMs + 1500)); // older than the per-isolate cache's longest age
}

/** GET /v1/recommendations of the seeded people, half with a context product, at `connections`. */
export async function readLoad(url: string, connections: number, seconds: number, runId: string): Promise<LoadResult> {
  return runLoad({ url, site: READ_SITE, events: 0, users: READ_USERS, connections, seconds, runId, kind: "recommendations", auth: `Bearer ${ADMIN_TOKEN}` });
}

/** The collector's reads and its RPCs per request, with what the counters said. */
export async function readPhase(c: Server, connections: number, seconds: number, runId: string): Promise<{ load: LoadResult; used: Counters; rpcs: ReadRpcs }> {
  const before = await counters(c);
  const load = await readLoad(c.url, connections, seconds, runId);
  const used = diffCounters(await counters(c), before);
  return { load, used, rpcs: rpcsOf(used, load.ok) };
}

/** The ceiling, the read floor (if given), then the collector, at the same connections. */
export async function readPoint(c: Server, ceiling: Server, floor: Server | undefined, connections: number, seconds: number, runId: string, log: (s: string) => void): Promise<ReadPoint & { used: Counters }> {
  const ceil = await readLoad(ceiling.url, connections, seconds, `${runId}-ceiling-${connections}`);
  const fl = floor ? await readLoad(floor.url, connections, seconds, `${runId}-floor-${connections}`) : undefined;
  const r = await readPhase(c, connections, seconds, `${runId}-${connections}`);
  log(`  ${connections} connection${connections > 1 ? "s" : ""}: ${describe(r.load)}; ceiling ${describe(ceil)}${fl ? `; read floor ${describe(fl)}` : ""}; ${(ratio(r.load.rps, ceil.rps) * 100).toFixed(0)}% of the ceiling's req/s; per request ${r.rpcs.user} user, ${r.rpcs.item_reads} item, ${r.rpcs.trend_reads} trend RPCs`);
  return { connections, load: r.load, ceiling: ceil, ...(fl ? { floor: fl } : {}), ratio_rps: ratio(r.load.rps, ceil.rps), rpcs: r.rpcs, used: r.used };
}

export const describe = (l: LoadResult) => `${l.rps.toFixed(0)} req/s, mean ${l.latency_ms.mean.toFixed(2)} ms, p50 ${l.latency_ms.p50} ms, p99 ${l.latency_ms.p99} ms`;
