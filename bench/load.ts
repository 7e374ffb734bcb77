/**
 * Load generator, run as its own Node process (child_process.fork) so that it does not share
 * an event loop with Miniflare's side of the collector. Reads one phase from argv, runs
 * autocannon, and sends the summary to the parent over IPC.
 */
import autocannon from "autocannon";
import { beacon, BENCH_UA, pickUser } from "./bodies";

export interface LoadPhase {
  url: string;
  site: string;
  events: number;
  users: number;
  connections: number;
  seconds: number;
  /** Unique per phase, so event ids never repeat across phases or runs. */
  runId: string;
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
}

async function run(p: LoadPhase): Promise<LoadResult> {
  let seq = 0;
  const status: Record<string, number> = {};
  const options: autocannon.Options = {
    url: p.url,
    connections: p.connections,
    duration: p.seconds,
    pipelining: 1,
    timeout: 10,
    requests: p.kind === "recommendations" ? [recommendationRequest(p)] : [
      {
        method: "POST",
        path: "/v1/collect",
        headers: { "content-type": "text/plain;charset=UTF-8", "user-agent": BENCH_UA },
        setupRequest: (req: autocannon.Request) => {
          const n = seq++;
          req.body = JSON.stringify(beacon({ site: p.site, user: pickUser({ users: p.users }, n), events: p.events, prefix: `${p.runId}-${n}`, offset: p.vary ? Math.floor(Math.random() * 500) : 0 }));
          return req;
        },
      },
    ],
  };
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (err, res) => (err ? reject(err) : resolve(res)));
    instance.on("response", (_client, code) => {
      status[code] = (status[code] ?? 0) + 1;
    });
  });
  const ok = r["2xx"];
  const seconds = r.duration;
  return {
    ok,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    seconds,
    rps: ok / seconds,
    events_per_s: (ok * p.events) / seconds,
    latency_ms: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, mean: r.latency.mean, max: r.latency.max },
    status,
  };
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
run(phase).then(
  (res) => process.send!(res, () => process.exit(0)),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
