/**
 * The bench's recommendation phases (also alone: `npm run bench -- --only recs`):
 *  - ingest with site-wide item statistics on and off, in the same run, in three pairs whose
 *    order alternates (off-on, on-off, off-on: drift of a shared machine hits both sides);
 *    10-event beacons over 100,000 users, each beacon touching its own products, until every
 *    event is in the lake; the change is the median of the three pairs' ratios; cost per
 *    million events with them on;
 *    write RPCs per item object and per second (the busiest object's rate);
 *  - GET /v1/recommendations at the same connections against 1,000 users with profiles
 *    (half with a context product), next to the 204 ceiling with the same requests;
 *    p50/p99, ratio to the ceiling, cost per million requests.
 */
import { diffCounters, measuredCost, readCost, type CostBreakdown } from "./cost";
import { counters, drainBeacons as drain } from "./drain";
import type { LoadResult } from "./load";
import { runLoad } from "./runner";
import { ADMIN_TOKEN, startCollector, type Server } from "./servers";
import { beacon } from "./bodies";
import { ratio } from "./stats";

export interface IngestRun {
  stats: "on" | "off";
  load: LoadResult;
  drain_s: number;
  events: number;
  cost: CostBreakdown;
  /** Write RPCs of the busiest item object during the phase and drain, and per second of the phase. */
  busiest_object: { name: string; writes: number; per_s: number } | null;
  consumer_batches: number;
}
export interface RecsBenchResult {
  ingest: IngestRun[];
  /** Mean req/s of each side, and the median over pairs of (on / off - 1). */
  ingest_rps: { on: number; off: number; change: number; pairs: number[] };
  read: { users: number; load: LoadResult; ceiling: LoadResult; ratio_rps: number; ratio_p99: number; cost: CostBreakdown; strategies: Record<string, number> };
  targets: Record<string, { target: string; value: string; met: boolean }>;
}

export interface RecsBenchOptions {
  seconds: number;
  connections: number;
  ceiling: Server;
  storageDir: string | undefined;
  runId: string;
  log: (s: string) => void;
  onLog: (l: string) => void;
}

const SITES = JSON.stringify({ bench: { origins: [] } });
const READ_USERS = 1000;

async function objects(c: Server): Promise<Record<string, number>> {
  return (await (await fetch(`${c.url}/__bench/objects`)).json()) as Record<string, number>;
}

async function ingestRun(c: Server, stats: "on" | "off", o: RecsBenchOptions, i: number): Promise<IngestRun> {
  o.log(`ingest with site-wide statistics ${stats}, 10 events/beacon, 100,000 users`);
  const before = await counters(c);
  const objBefore = await objects(c);
  const load = await runLoad({ url: c.url, site: "bench", events: 10, users: 100_000, connections: o.connections, seconds: o.seconds, runId: `${o.runId}-stats-${stats}-${i}`, vary: true });
  const t = Date.now();
  const counted = await drain(c, before, 10, 120_000);
  const objAfter = await objects(c);
  let busiest: IngestRun["busiest_object"] = null;
  for (const [name, n] of Object.entries(objAfter)) {
    const writes = n - (objBefore[name] ?? 0);
    if (!busiest || writes > busiest.writes) busiest = { name, writes, per_s: writes / load.seconds };
  }
  const run: IngestRun = { stats, load, drain_s: (Date.now() - t) / 1000, events: counted.events_in_messages, cost: measuredCost(counted, counted.events_in_messages), busiest_object: busiest, consumer_batches: counted.queue_batches };
  o.log(`  ${load.rps.toFixed(0)} req/s (${load.events_per_s.toFixed(0)} events/s), p99 ${load.latency_ms.p99} ms; lake caught up ${run.drain_s.toFixed(1)} s later; $${run.cost.with_storage_usd_per_million.toFixed(3)}/M events with rows${busiest ? `; busiest item object ${busiest.writes} writes (${busiest.per_s.toFixed(1)}/s of the phase)` : ""}`);
  return run;
}

async function seed(c: Server, o: RecsBenchOptions): Promise<void> {
  o.log(`seeding ${READ_USERS} users with a 10-event beacon each, and a catalogue of 500 products`);
  const items = Array.from({ length: 500 }, (_, i) => ({ product_id: `sku-${i}`, title: `Product ${i}`, url: `https://shop.example/p/sku-${i}`, price: 10 + (i % 90), currency: "EUR", category: ["shoes", "bags", "shirts", "jackets", "hats", "socks", "watches", "belts"][i % 8], available: i % 50 !== 0 }));
  const res = await fetch(`${c.url}/v1/catalog/bench`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" }, body: JSON.stringify({ items }) });
  if (res.status !== 200) throw new Error(`catalogue: ${res.status}`);
  const before = await counters(c);
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < READ_USERS) {
      const n = next++;
      const body = beacon({ site: "bench", user: `u-${n}`, events: 10, prefix: `${o.runId}-seed-${n}`, offset: (n * 37) % 500 });
      const r = await fetch(`${c.url}/v1/collect`, { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify(body) });
      if (r.status !== 202) throw new Error(`seed: ${r.status}`);
    }
  }));
  await drain(c, before, 10, 120_000);
  await new Promise((r) => setTimeout(r, 3500)); // the per-isolate cache of item statistics
}

export async function recsPhases(o: RecsBenchOptions): Promise<RecsBenchResult> {
  const on = await startCollector({ vars: { SITES, ITEM_STATS: "on" }, noRateLimits: true, storageDir: o.storageDir && `${o.storageDir}/on`, onLog: o.onLog });
  const off = await startCollector({ vars: { SITES, ITEM_STATS: "off" }, noRateLimits: true, storageDir: o.storageDir && `${o.storageDir}/off`, onLog: o.onLog });
  try {
    const ingest: IngestRun[] = [];
    const pairs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const order: ("off" | "on")[] = i % 2 === 0 ? ["off", "on"] : ["on", "off"];
      const runs: Partial<Record<"on" | "off", IngestRun>> = {};
      for (const side of order) ingest.push((runs[side] = await ingestRun(side === "on" ? on : off, side, o, i)));
      pairs.push(runs.on!.load.rps / runs.off!.load.rps - 1);
    }
    const mean = (s: "on" | "off") => ingest.filter((r) => r.stats === s).reduce((a, r) => a + r.load.rps, 0) / 3;
    const change = [...pairs].sort((a, b) => a - b)[1]!;
    const ingest_rps = { on: mean("on"), off: mean("off"), change, pairs };
    o.log(`ingest req/s, statistics on vs off: ${ingest_rps.on.toFixed(0)} vs ${ingest_rps.off.toFixed(0)}; per pair ${pairs.map((x) => `${(x * 100).toFixed(1)}%`).join(", ")}; median ${(change * 100).toFixed(1)}%`);

    await seed(on, o);
    const phase = { site: "bench", events: 0, users: READ_USERS, connections: o.connections, seconds: o.seconds, kind: "recommendations" as const, auth: `Bearer ${ADMIN_TOKEN}` };
    o.log("ceiling, the same GET requests");
    const ceiling = await runLoad({ ...phase, url: o.ceiling.url, runId: `${o.runId}-recs-ceiling` });
    o.log(`  ${ceiling.rps.toFixed(0)} req/s, p50 ${ceiling.latency_ms.p50} ms, p99 ${ceiling.latency_ms.p99} ms`);
    o.log(`GET /v1/recommendations, ${READ_USERS} users with profiles, half with a context product`);
    const before = await counters(on);
    const load = await runLoad({ ...phase, url: on.url, runId: `${o.runId}-recs` });
    const used = diffCounters(await counters(on), before);
    const strategies: Record<string, number> = {};
    for (let i = 0; i < 20; i++) {
      const r = (await (await fetch(`${on.url}/v1/recommendations/bench/u-${i * 37}?limit=10`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { strategy: string };
      strategies[r.strategy] = (strategies[r.strategy] ?? 0) + 1;
    }
    const read = { users: READ_USERS, load, ceiling, ratio_rps: ratio(load.rps, ceiling.rps), ratio_p99: load.latency_ms.p99 / Math.max(1, ceiling.latency_ms.p99), cost: readCost(used, load.ok), strategies };
    o.log(`  ${load.rps.toFixed(0)} req/s (${(read.ratio_rps * 100).toFixed(0)}% of the ceiling), p50 ${load.latency_ms.p50} ms, p99 ${load.latency_ms.p99} ms; $${read.cost.with_storage_usd_per_million.toFixed(3)}/M requests; ${(used.items_requests / Math.max(1, load.ok)).toFixed(2)} item-object reads per request`);
    const onRuns = ingest.filter((r) => r.stats === "on");
    const busiest = Math.max(...onRuns.map((r) => r.busiest_object?.per_s ?? 0));
    return {
      ingest,
      ingest_rps,
      read,
      targets: {
        recs_p99: { target: "GET /v1/recommendations p99 <= 25 ms (50 connections, tmpfs)", value: `${load.latency_ms.p99} ms (ceiling ${ceiling.latency_ms.p99} ms)`, met: load.latency_ms.p99 <= 25 },
        stats_ingest: { target: "ingest req/s with statistics on < 10% lower than off", value: `${(ingest_rps.change * 100).toFixed(1)}%`, met: ingest_rps.change > -0.1 },
        busiest_object: { target: "busiest item object < 200 requests/s", value: `${busiest.toFixed(1)} writes/s at ${Math.round(onRuns[0]!.load.events_per_s)} events/s locally`, met: busiest < 200 },
      },
    };
  } finally {
    await Promise.allSettled([on.stop(), off.stop()]);
  }
}
