/**
 * Load generator, run as its own Node process (child_process.fork) so that it does not share
 * an event loop with Miniflare's side of the collector. Reads one phase from argv, runs
 * autocannon, and sends the summary to the parent over IPC.
 */
import autocannon from "autocannon";
import { beacon, BENCH_UA, pickUser } from "./bodies";
import { Mix, type MixOptions } from "./mix";

export interface LoadPhase {
  url: string;
  site: string;
  events: number;
  users: number;
  connections: number;
  seconds: number;
  /** Unique per phase, so event ids never repeat across phases or runs. */
  runId: string;
  /** The realistic mix instead of fixed beacons (bench/mix.ts); `events` and `users` are then unused. */
  mix?: Omit<MixOptions, "site" | "runId">;
  /** Run this long first (mix only) so sessions are under way; not in the result. */
  warmupSeconds?: number;
  /** Offered load in requests/s over all connections (autocannon overallRate); none: as fast as answered. */
  rate?: number;
  /** "collect" (default): POST beacons. "recommendations": GET /v1/recommendations of `users` users, half with a context product. */
  kind?: "collect" | "recommendations";
  /** Authorization header of recommendation reads. */
  auth?: string;
  /** Beacons touch different products (bodies.ts offset), as real traffic does. */
  vary?: boolean;
}

export interface LoadResult {
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
  rps: number;
  events_per_s: number;
  latency_ms: { p50: number; p90: number; p99: number; mean: number; max: number };
  status: Record<string, number>;
  /** Mix only: requests by kind, and events the collector answered as accepted. */
  mix?: { requests: Record<string, number>; accepted_events: number; server_events: number; warmup_accepted?: number };
}

type Ctx = { events?: number; kind?: string };

async function run(p: LoadPhase, mix: Mix | null, seconds: number): Promise<LoadResult> {
  let seq = 0;
  let accepted = 0;
  let serverEvents = 0;
  const requests: Record<string, number> = {};
  const status: Record<string, number> = {};
  const fixed: autocannon.Request = {
    method: "POST",
    path: "/v1/collect",
    headers: { "content-type": "text/plain;charset=UTF-8", "user-agent": BENCH_UA },
    setupRequest: (req: autocannon.Request) => {
      const n = seq++;
      req.body = JSON.stringify(beacon({ site: p.site, user: pickUser({ users: p.users }, n), events: p.events, prefix: `${p.runId}-${n}`, offset: p.vary ? Math.floor(Math.random() * 500) : 0 }));
      return req;
    },
  };
  const mixed: autocannon.Request = {
    method: "POST",
    path: "/v1/collect",
    setupRequest: (req: autocannon.Request, context: object) => {
      const r = mix!.next(Date.now());
      const c = context as Ctx;
      c.events = r.events;
      c.kind = r.kind;
      requests[r.visitor ?? r.kind] = (requests[r.visitor ?? r.kind] ?? 0) + 1;
      return { ...req, path: r.path, headers: r.headers, body: r.body };
    },
    onResponse: (code: number, body: string, context: object) => {
      if (code < 200 || code >= 300) return;
      try {
        const n = (JSON.parse(body) as { accepted?: number }).accepted ?? 0;
        accepted += n;
        if ((context as Ctx).kind === "server") serverEvents += n;
      } catch {}
    },
  };
  const options: autocannon.Options = { url: p.url, connections: p.connections, duration: seconds, pipelining: 1, timeout: 10, requests: [p.kind === "recommendations" ? recommendationRequest(p) : mix ? mixed : fixed], ...(p.rate ? { overallRate: p.rate } : {}) };
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (err, res) => (err ? reject(err) : resolve(res)));
    instance.on("response", (_client, code) => {
      status[code] = (status[code] ?? 0) + 1;
    });
  });
  const ok = r["2xx"];
  return {
    ok,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    seconds: r.duration,
    rps: ok / r.duration,
    events_per_s: (mix ? accepted : ok * p.events) / r.duration,
    latency_ms: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, mean: r.latency.mean, max: r.latency.max },
    status,
    ...(mix ? { mix: { requests, accepted_events: accepted, server_events: serverEvents } } : {}),
  };
}

async function main(p: LoadPhase): Promise<LoadResult> {
  const mix = p.mix ? new Mix({ ...p.mix, site: p.site, runId: p.runId }) : null;
  const warm = mix && p.warmupSeconds ? await run(p, mix, p.warmupSeconds) : null;
  const r = await run(p, mix, p.seconds);
  if (warm && r.mix) {
    r.mix.warmup_accepted = warm.mix?.accepted_events ?? 0;
    // Refusals during the warm-up are errors of the phase too.
    r.non2xx += warm.non2xx;
    r.errors += warm.errors;
  }
  return r;
}

/** GET /v1/recommendations/<site>/u-<n> for one of `users` users, with a context product half the time. */
function recommendationRequest(p: LoadPhase): autocannon.Request {
  return {
    method: "GET",
    headers: p.auth ? { authorization: p.auth } : {},
    setupRequest: (req: autocannon.Request) => {
      const user = `u-${Math.floor(Math.random() * p.users)}`;
      const context = Math.random() < 0.5 ? `&context=sku-${Math.floor(Math.random() * 500)}` : "";
      req.path = `/v1/recommendations/${p.site}/${user}?limit=10${context}`;
      return req;
    },
  };
}

const phase = JSON.parse(process.argv[2]!) as LoadPhase;
main(phase).then(
  (res) => process.send!(res, () => process.exit(0)),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
