/** The load phases of a bench run, against one collector: fixed beacons, the realistic mix, the floor. */
import { diffCounters, measuredCost, naiveCost } from "./cost";
import { drain, readCounters, settle, TRAILING_MS } from "./drain";
import type { LoadResult } from "./load";
import type { FloorResult, MixResult, PhaseResult } from "./main";
import { runLoad } from "./runner";
import { startFloor } from "./servers";
import { ratio } from "./stats";

export const HOT_USERS = 8;
export const DISTINCT_USERS = 100_000;
/**
 * The mix's site ends sessions and carts after 60 s idle (the default is 30 min), so their
 * timer events, and what they cost, are in the run; 60 s is still long next to a session's
 * beacons (5.5 s apart), as 30 min is next to real sessions.
 */
export const MIX_TIMEOUT_S = 60;
export const MIX_SERVER_KEY = "bench-mix-server-key";
export const SITES = JSON.stringify({
  bench: { origins: [] },
  fresh: { origins: [] },
  lake: { origins: [] },
  mix: { origins: [], session_timeout_seconds: MIX_TIMEOUT_S, cart_abandon_seconds: MIX_TIMEOUT_S },
});
export const SITE_SECRETS = JSON.stringify({ mix: { server_keys: [MIX_SERVER_KEY] } });

export interface RunOptions {
  seconds: number;
  connections: number;
  smoke: boolean;
  log: (s: string) => void;
  /** Errors of the run (non-2xx answers, events that never reached the lake). */
  failures: string[];
}

export const label = (users: number) => (users === HOT_USERS ? `${HOT_USERS} hot users` : `${users.toLocaleString("en-US")} users`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fixed beacons of `events` events over hot or distinct users, priced from the counters until the lake caught up and the objects' trailing writes were done. */
export async function fixedPhase(o: RunOptions, url: string, ceil: LoadResult, events: number, users: number, runId: string, tag = ""): Promise<PhaseResult> {
  o.log(`collector${tag}, ${events} events/beacon, ${label(users)}`);
  const before = await readCounters(url);
  const load = await runLoad({ url, site: "bench", events, users, connections: o.connections, seconds: o.seconds, runId });
  if (load.non2xx || load.errors) o.failures.push(`${events} events, ${label(users)}${tag}: ${load.ok} ok, ${load.non2xx} non-2xx ${JSON.stringify(load.status)}, ${load.errors} errors`);
  // Every event the objects accepted must reach the lake; the counters then price the phase.
  const requests = diffCounters(await readCounters(url), before).profile_requests;
  await drain(url, before, requests * events);
  const counted = await settle(url, before, Date.now(), TRAILING_MS);
  const accepted = counted.events_in_messages - counted.timer_events_in_messages;
  const p: PhaseResult = {
    events,
    users,
    users_label: label(users),
    load,
    ceiling: ceil,
    ratio_rps: ratio(load.rps, ceil.rps),
    ratio_p99: load.latency_ms.p99 / Math.max(1, ceil.latency_ms.p99),
    counters: counted,
    cost: { measured: measuredCost(counted, accepted), naive: naiveCost(counted.worker_requests, accepted) },
  };
  o.log(`  ${load.rps.toFixed(0)} req/s (${(p.ratio_rps * 100).toFixed(0)}% of ${ceil.rps.toFixed(0)}), p50 ${load.latency_ms.p50} ms, p99 ${load.latency_ms.p99} ms; ${(counted.profile_rows_written / Math.max(1, accepted)).toFixed(2)} user rows/event; $${p.cost!.measured.with_storage_usd_per_million.toFixed(2)}/M events vs naive $${p.cost!.naive.with_storage_usd_per_million.toFixed(2)}`);
  return p;
}

/** The realistic mix (bench/mix.ts) on site "mix", priced over warm-up and run until every timer event reached the lake. */
/** Requests per second offered in the mix (50 connections): under what the collector reaches on this machine while other jobs run. */
export const MIX_RATE = 60;

export async function mixPhase(o: RunOptions, url: string, runId: string): Promise<MixResult> {
  // A steady offered rate that every build reaches here: the mix's share of new visitors, later
  // beacons and backend batches follows the rate (mix.ts), so builds are compared on the same traffic.
  const settings = { min_gap_ms: 5500, returning: 0.3, idle_ms: 15_000, server_share: 0.03, customers: 1000, session_timeout_s: MIX_TIMEOUT_S, warmup_s: o.smoke ? 8 : 20, rate_per_s: MIX_RATE };
  o.log(`mix: visitors (sessions of 1-8 beacons of 1-8 events, ≥ ${settings.min_gap_ms} ms apart, ${settings.returning * 100}% of sessions by returning visitors) + ${settings.server_share * 100}% Segment batches; ${settings.warmup_s} s warm-up`);
  const before = await readCounters(url);
  const load = await runLoad({
    url,
    site: "mix",
    events: 0,
    users: 0,
    connections: o.connections,
    seconds: o.seconds,
    warmupSeconds: settings.warmup_s,
    rate: settings.rate_per_s,
    runId,
    mix: { minGapMs: settings.min_gap_ms, returning: settings.returning, idleMs: settings.idle_ms, serverShare: settings.server_share, serverKey: MIX_SERVER_KEY, customers: settings.customers },
  });
  if (load.non2xx || load.errors) o.failures.push(`mix: ${load.ok} ok, ${load.non2xx} non-2xx ${JSON.stringify(load.status)}, ${load.errors} errors`);
  // Sessions and carts end MIX_TIMEOUT_S after their last beacon: wait for those timer events too.
  // The answers count a little less than was taken: requests still in flight when autocannon
  // stops are answered but not counted. So the lake's count is the denominator; it may not be lower.
  const answered = (load.mix?.accepted_events ?? 0) + (load.mix?.warmup_accepted ?? 0);
  await sleep((MIX_TIMEOUT_S + 3) * 1000);
  const counted = await drain(url, before, answered, { quietMs: 4000, timeoutMs: 120_000 });
  const timerEvents = counted.timer_events_in_messages;
  const accepted = counted.events_in_messages - timerEvents;
  if (accepted < answered) o.failures.push(`mix: ${answered} events answered as accepted, only ${accepted} reached the queue`);
  const allRows = counted.profile_rows_written + counted.ledger_rows_written + counted.stats_rows_written + (counted.items_rows_written ?? 0);
  const r: MixResult = {
    settings,
    load,
    accepted_events: accepted,
    timer_events: timerEvents,
    counters: counted,
    rows_per_event: allRows / Math.max(1, accepted),
    cost: { measured: measuredCost(counted, accepted), naive: naiveCost(counted.worker_requests, accepted) },
  };
  o.log(`  ${load.rps.toFixed(0)} req/s, ${load.events_per_s.toFixed(0)} events/s, p50 ${load.latency_ms.p50} ms, p99 ${load.latency_ms.p99} ms; requests ${JSON.stringify(load.mix?.requests)}; ${r.rows_per_event.toFixed(2)} rows/event ${JSON.stringify(counted.rows_by_table)}; $${r.cost.measured.with_storage_usd_per_million.toFixed(2)}/M events vs naive $${r.cost.naive.with_storage_usd_per_million.toFixed(2)} (${(r.cost.measured.with_storage_usd_per_million / r.cost.naive.with_storage_usd_per_million).toFixed(2)})`);
  return r;
}

/** The floor worker (one SQLite object row per beacon), 10-event beacons over hot and distinct users. */
export async function floorPhases(o: RunOptions, ceil10: LoadResult, runId: string, storageDir?: string): Promise<FloorResult[]> {
  const out: FloorResult[] = [];
  const fl = await startFloor(storageDir);
  try {
    for (const users of [HOT_USERS, DISTINCT_USERS]) {
      o.log(`floor (worker -> one SQLite object row), 10 events/beacon, ${label(users)}`);
      const load = await runLoad({ url: fl.url, site: "bench", events: 10, users, connections: o.connections, seconds: o.seconds, runId: `f-${runId}-${users}` });
      out.push({ users, users_label: label(users), load, ratio_rps: ratio(load.rps, ceil10.rps) });
      o.log(`  ${load.rps.toFixed(0)} req/s (${((load.rps / ceil10.rps) * 100).toFixed(0)}% of the ceiling), p50 ${load.latency_ms.p50} ms, p99 ${load.latency_ms.p99} ms`);
    }
  } finally {
    await fl.stop();
  }
  return out;
}
