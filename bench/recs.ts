/**
 * The bench's recommendation phases (also alone: `npm run bench -- --only recs`):
 *  - ingest with site-wide item statistics on and off, in the same run: one warm-up run on
 *    each collector (reported, not compared), then nine runs as fast as answered that
 *    alternate collectors (off, on, ..., off); 10-event beacons over 100,000 users, each
 *    beacon touching its own products, until every event is in the lake and the objects'
 *    trailing writes are done. Each "on" run is compared with the mean of the two "off" runs
 *    around it (linear drift of a shared machine cancels), and the change is the median of
 *    the four. Why so many: single 10 s runs on this 2-core machine vary by about ±15% (two
 *    seven-run measurements of the same code gave -15.3% and +17.3%); a run right after one on
 *    the same collector was up to 30% slower, hence strict alternation;
 *  - then seven alternating runs, on first (the last run above was off), at a fixed offered
 *    rate, half the "off" runs' req/s: the workerd process's CPU time per event
 *    (bench/proc.ts, from the load's start until settled), the two "on" runs around each "off"
 *    run against it, and the median of the three. That is the work the statistics add. At full speed it
 *    says nothing more than req/s (the one busy workerd thread makes CPU per event about
 *    1/throughput); below capacity it does not depend on how the load generator and the
 *    collector shared the cores. Cost per million events with them on; write RPCs per item
 *    object and per second (the busiest object's rate);
 *  - GET /v1/recommendations at the same connections against 1,000 users with profiles
 *    (half with a context product), next to the 204 ceiling with the same requests;
 *    p50/p99, ratio to the ceiling, cost per million requests, RPCs per request;
 *  - the same reads at 1 and 10 connections, each next to the ceiling and the read floor (a
 *    worker reading one object per person) at those connections: the service time a page sees
 *    without queueing, and how it grows with load (bench/recs-read.ts).
 */
import { measuredCost, readCost, type CostBreakdown, type Counters } from "./cost";
import { counters, drainBeacons as drain, settle, TRAILING_MS } from "./drain";
import { cpuSeconds } from "./proc";
import { bracketedChange, INGEST_FIXED_RATE_RUNS, INGEST_RUNS, INGEST_WARMUP } from "./stats";
import type { LoadResult } from "./load";
import { runLoad } from "./runner";
import { ADMIN_TOKEN, startCollector, startReadFloor, type Server } from "./servers";
import { readPoint, seedReads, SWEEP_CONNECTIONS, READ_USERS, type ReadPoint, type ReadRpcs } from "./recs-read";

export interface IngestRun {
  stats: "on" | "off";
  /** A warm-up run: reported, left out of the comparison. */
  warmup: boolean;
  /** Offered requests/s of a fixed-rate run; null: as fast as answered. */
  rate: number | null;
  /** CPU time of the collector's workerd process from the load's start until settled, per event in the lake (null without /proc). */
  cpu_us_per_event: number | null;
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
  /** Mean req/s of each side (warm-ups left out); per "on" run, on / mean of the "off" runs around it - 1 (bracketedChange); their median. */
  ingest_rps: { on: number; off: number; change: number; pairs: number[] };
  /** The fixed-rate runs' workerd CPU µs per event, compared the same way (a positive change: the statistics cost more CPU); null without /proc. */
  ingest_cpu?: { rate: number; on: number; off: number; change: number; pairs: number[] } | null;
  read: { users: number; load: LoadResult; ceiling: LoadResult; ratio_rps: number; ratio_p99: number; cost: CostBreakdown; strategies: Record<string, number>; rpcs?: ReadRpcs };
  /** The same reads at 1, 10 and the run's connections, each next to the ceiling at those connections. */
  read_sweep?: ReadPoint[];
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

async function objects(c: Server): Promise<Record<string, number>> {
  return (await (await fetch(`${c.url}/__bench/objects`)).json()) as Record<string, number>;
}

async function ingestRun(c: Server, stats: "on" | "off", warmup: boolean, o: RecsBenchOptions, i: number, rate: number | null = null): Promise<IngestRun> {
  o.log(`ingest with site-wide statistics ${stats}${warmup ? " (warm-up)" : ""}, 10 events/beacon, 100,000 users${rate ? `, ${rate} requests/s offered` : ""}`);
  const before = await counters(c);
  const cpuBefore = cpuSeconds(c.pid ?? null);
  const objBefore = await objects(c);
  const load = await runLoad({ url: c.url, site: "bench", events: 10, users: 100_000, connections: o.connections, seconds: o.seconds, runId: `${o.runId}-stats-${stats}-${i}`, vary: true, ...(rate ? { rate } : {}) });
  const t = Date.now();
  await drain(c, before, 10, 120_000);
  const caughtUp = Date.now();
  // The objects' trailing writes (sent chunks dropped) count for this run and no longer run
  // during the next one, which is often on the other collector: without this, the second run
  // of a pair paid for the first one's trailing work.
  const counted = await settle(c.url, before, caughtUp, TRAILING_MS);
  const cpuAfter = cpuSeconds(c.pid ?? null);
  const cpu_us_per_event = cpuBefore !== null && cpuAfter !== null && counted.events_in_messages > 0 ? ((cpuAfter - cpuBefore) / counted.events_in_messages) * 1e6 : null;
  const objAfter = await objects(c);
  let busiest: IngestRun["busiest_object"] = null;
  for (const [name, n] of Object.entries(objAfter)) {
    const writes = n - (objBefore[name] ?? 0);
    if (!busiest || writes > busiest.writes) busiest = { name, writes, per_s: writes / load.seconds };
  }
  const run: IngestRun = { stats, warmup, rate, cpu_us_per_event, load, drain_s: (caughtUp - t) / 1000, events: counted.events_in_messages, cost: measuredCost(counted, counted.events_in_messages), busiest_object: busiest, consumer_batches: counted.queue_batches };
  o.log(`  ${load.rps.toFixed(0)} req/s (${load.events_per_s.toFixed(0)} events/s), p99 ${load.latency_ms.p99} ms; lake caught up ${run.drain_s.toFixed(1)} s later; $${run.cost.with_storage_usd_per_million.toFixed(3)}/M events with rows${cpu_us_per_event !== null && rate ? `; workerd ${cpu_us_per_event.toFixed(0)} µs CPU per event` : ""}${busiest ? `; busiest item object ${busiest.writes} writes (${busiest.per_s.toFixed(1)}/s of the phase)` : ""}`);
  return run;
}

export async function recsPhases(o: RecsBenchOptions): Promise<RecsBenchResult> {
  const on = await startCollector({ vars: { SITES, ITEM_STATS: "on" }, noRateLimits: true, storageDir: o.storageDir && `${o.storageDir}/on`, onLog: o.onLog });
  const off = await startCollector({ vars: { SITES, ITEM_STATS: "off" }, noRateLimits: true, storageDir: o.storageDir && `${o.storageDir}/off`, onLog: o.onLog });
  let readFloor: Server | undefined;
  try {
    const ingest: IngestRun[] = [];
    const order = [...INGEST_WARMUP.map((s) => [s, true] as const), ...INGEST_RUNS.map((s) => [s, false] as const)];
    for (const [i, [side, warmup]] of order.entries()) ingest.push(await ingestRun(side === "on" ? on : off, side, warmup, o, i));
    const measured = ingest.filter((r) => !r.warmup);
    const compare = (runs: IngestRun[], value: (r: IngestRun) => number) => {
      const { pairs, change } = bracketedChange(runs.map(value), runs[0]!.stats === "off" ? "on" : "off");
      const mean = (s: "on" | "off") => { const xs = runs.filter((r) => r.stats === s); return xs.reduce((a, r) => a + value(r), 0) / xs.length; };
      return { on: mean("on"), off: mean("off"), change, pairs };
    };
    const pct = (xs: number[]) => xs.map((x) => `${(x * 100).toFixed(1)}%`).join(", ");
    const ingest_rps = compare(measured, (r) => r.load.rps);
    o.log(`ingest req/s, statistics on vs off: ${ingest_rps.on.toFixed(0)} vs ${ingest_rps.off.toFixed(0)}; each "on" run against the mean of the "off" runs around it ${pct(ingest_rps.pairs)}; median ${(ingest_rps.change * 100).toFixed(1)}%`);
    const rate = Math.max(5, Math.round(ingest_rps.off / 2));
    const fixed: IngestRun[] = [];
    for (const [i, side] of INGEST_FIXED_RATE_RUNS.entries()) fixed.push(await ingestRun(side === "on" ? on : off, side, false, o, order.length + i, rate));
    ingest.push(...fixed);
    const ingest_cpu = fixed.every((r) => r.cpu_us_per_event !== null) ? { rate, ...compare(fixed, (r) => r.cpu_us_per_event!) } : null;
    if (ingest_cpu) o.log(`workerd CPU per event at ${rate} requests/s, statistics on vs off: ${ingest_cpu.on.toFixed(0)} vs ${ingest_cpu.off.toFixed(0)} µs; each "off" run against the "on" runs around it ${pct(ingest_cpu.pairs)}; median ${ingest_cpu.change >= 0 ? "+" : ""}${(ingest_cpu.change * 100).toFixed(1)}%`);

    await seedReads(on, o.runId, o.log);
    readFloor = await startReadFloor(o.storageDir && `${o.storageDir}/read-floor`);
    o.log(`GET /v1/recommendations, ${READ_USERS} users with profiles, half with a context product; each next to the ceiling at the same connections`);
    const sweep: ReadPoint[] = [];
    let last: { point: ReadPoint; used: Counters } | undefined;
    for (const n of [...SWEEP_CONNECTIONS.filter((x) => x < o.connections), o.connections]) {
      const { used, ...point } = await readPoint(on, o.ceiling, readFloor, n, o.seconds, `${o.runId}-recs`, o.log);
      sweep.push(point);
      if (n === o.connections) last = { point, used };
    }
    const { point, used } = last!;
    const { load, ceiling } = point;
    const strategies: Record<string, number> = {};
    for (let i = 0; i < 20; i++) {
      const r = (await (await fetch(`${on.url}/v1/recommendations/bench/u-${i * 37}?limit=10`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { strategy: string };
      strategies[r.strategy] = (strategies[r.strategy] ?? 0) + 1;
    }
    const read = { users: READ_USERS, load, ceiling, ratio_rps: point.ratio_rps, ratio_p99: load.latency_ms.p99 / Math.max(1, ceiling.latency_ms.p99), cost: readCost(used, load.ok), strategies, rpcs: point.rpcs };
    o.log(`  at ${o.connections} connections: $${read.cost.with_storage_usd_per_million.toFixed(3)}/M requests`);
    const onRuns = measured.filter((r) => r.stats === "on");
    const busiest = Math.max(...onRuns.map((r) => r.busiest_object?.per_s ?? 0));
    return {
      ingest,
      ingest_rps,
      ingest_cpu,
      read,
      read_sweep: sweep,
      targets: {
        recs_p99: { target: "GET /v1/recommendations p99 <= 25 ms (50 connections, tmpfs)", value: `${load.latency_ms.p99} ms (ceiling ${ceiling.latency_ms.p99} ms)`, met: load.latency_ms.p99 <= 25 },
        stats_ingest: { target: "ingest req/s with statistics on < 10% lower than off", value: `${(ingest_rps.change * 100).toFixed(1)}%${ingest_cpu ? ` (workerd CPU per event at ${ingest_cpu.rate} req/s ${ingest_cpu.change >= 0 ? "+" : ""}${(ingest_cpu.change * 100).toFixed(1)}%)` : ""}`, met: ingest_rps.change > -0.1 },
        busiest_object: { target: "busiest item object < 200 requests/s", value: `${busiest.toFixed(1)} writes/s at ${Math.round(onRuns[0]!.load.events_per_s)} events/s locally`, met: busiest < 200 },
      },
    };
  } finally {
    await Promise.allSettled([on.stop(), off.stop(), readFloor?.stop()]);
  }
}
