/**
 * `npm run bench:profile`: a CPU profile of the collector's isolate (worker + Durable Objects)
 * in workerd while autocannon drives one phase, summarised as self time per function. For
 * finding what limits throughput; not part of the reported numbers.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { beacon } from "./bodies";
import { diffCounters } from "./cost";
import { drainBeacons, readCounters, settle, TRAILING_MS } from "./drain";
import { runLoad } from "./runner";
import { startCollector } from "./servers";

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[] }

// `npm run bench:profile -- recs`: GET /v1/recommendations of 300 seeded users instead of beacons.
// `--stage <name>`: BENCH_STAGE of bench/worker/entry.ts (diagnostics: no_do, no_log).
const recs = process.argv[2] === "recs";
const stageArg = process.argv.indexOf("--stage");
const stage = stageArg > 0 ? process.argv[stageArg + 1]! : undefined;
// `--stats off`: ITEM_STATS=off (site-wide item statistics not computed). `--runs N`: N ingest
// runs of 10 s with varied products first, each until its events are in the lake and its
// objects' trailing writes are done (a collector that has worked a while, as in bench/recs.ts).
const statsArg = process.argv.indexOf("--stats");
const itemStats = statsArg > 0 ? process.argv[statsArg + 1]! : undefined;
const runsArg = process.argv.indexOf("--runs");
const warmRuns = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 0;
const connArg = process.argv.indexOf("--connections");
const connections = connArg > 0 ? Number(process.argv[connArg + 1]) : 50;
const events = recs ? 10 : Number(process.argv[2] ?? 10);
const users = recs ? 300 : Number(process.argv[3] ?? 100_000);
const dir = mkdtempSync("/dev/shm/edge-collector-profile-");
const col = await startCollector({ vars: { SITES: JSON.stringify({ bench: { origins: [] } }), ...(stage ? { BENCH_STAGE: stage } : {}), ...(itemStats ? { ITEM_STATS: itemStats } : {}) }, noRateLimits: true, storageDir: dir, inspector: true });
try {
  const base = await col.mf.getInspectorURL();
  const targets = (await (await fetch(`http://${base.host}/json`)).json()) as { id: string; title: string; webSocketDebuggerUrl: string }[];
  const target = targets.find((t) => t.id.includes("edge-collector")) ?? targets[0]!;
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((r, j) => ((ws.onopen = r), (ws.onerror = j)));
  let id = 0;
  const pending = new Map<number, (v: unknown) => void>();
  ws.onmessage = (m) => {
    const msg = JSON.parse(String(m.data)) as { id?: number; result?: unknown };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.result);
  };
  const send = (method: string, params: object = {}) => new Promise<unknown>((r) => (pending.set(++id, r), ws.send(JSON.stringify({ id, method, params }))));
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 200 });
  const kind = recs ? ("recommendations" as const) : ("collect" as const);
  if (recs) {
    for (let n = 0; n < users; n++) await fetch(`${col.url}/v1/collect`, { method: "POST", body: JSON.stringify(beacon({ site: "bench", user: `u-${n}`, events: 10, prefix: `p-${Date.now()}-${n}`, offset: (n * 37) % 500 })) });
    await new Promise((r) => setTimeout(r, 12_000)); // flush + consumer
  }
  const auth = "Bearer bench-admin-token";
  for (let i = 0; i < warmRuns; i++) {
    const before = await readCounters(col.url);
    await runLoad({ url: col.url, site: "bench", events, users, connections: 50, seconds: 10, runId: `run-${i}-${Date.now()}`, vary: true });
    await drainBeacons(col, before, events, 120_000);
    await settle(col.url, before, Date.now(), TRAILING_MS);
  }
  await runLoad({ url: col.url, site: "bench", events, users, connections: 50, seconds: 2, runId: `warm-${Date.now()}`, kind, auth, vary: warmRuns > 0 });
  await send("Profiler.start");
  const before = await readCounters(col.url);
  const load = await runLoad({ url: col.url, site: "bench", events, users, connections, seconds: 6, runId: `prof-${Date.now()}`, kind, auth, vary: warmRuns > 0 });
  const { profile } = (await send("Profiler.stop")) as { profile: Profile };
  ws.close();
  const used = diffCounters(await readCounters(col.url), before);
  const per = (n: number) => (n / Math.max(1, load.ok)).toFixed(3);
  writeFileSync(".bench-dist/collector.cpuprofile", JSON.stringify(profile));
  const self = new Map<string, number>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  let total = 0;
  profile.samples.forEach((s, i) => {
    const n = byId.get(s)!;
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const key = `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.split("/").pop()}:${n.callFrame.lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  // Inclusive time: each sample counts once for every function on its stack (what a call costs with what it calls).
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const incl = new Map<string, number>();
  profile.samples.forEach((s, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const seen = new Set<string>();
    for (let id: number | undefined = s; id !== undefined; id = parent.get(id)) {
      const n = byId.get(id)!;
      const key = `${n.callFrame.functionName || "(anonymous)"}:${n.callFrame.lineNumber}`;
      if (seen.has(key)) continue;
      seen.add(key);
      incl.set(key, (incl.get(key) ?? 0) + dt);
    }
  });
  const lines = [`${load.rps.toFixed(0)} req/s at ${connections} connections, mean ${load.latency_ms.mean.toFixed(2)} ms, p99 ${load.latency_ms.p99} ms; isolate CPU profile over ${(total / 1e6).toFixed(1)} s (.bench-dist/collector.cpuprofile), ${recs ? "recommendations" : `${events} events/beacon`}, ${users} users${stage ? `, BENCH_STAGE=${stage}` : ""}${itemStats ? `, ITEM_STATS=${itemStats}` : ""}${warmRuns ? `, after ${warmRuns} ingest runs of 10 s` : ""}; per request: ${per(used.profile_reads + used.profile_requests)} user-object RPCs, ${per(used.item_reads)} ItemStats reads, ${per(used.trend_reads)} ItemTrends reads. Self time:`];
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) lines.push(`${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
  lines.push("Inclusive time (function names of the minified bundle's source):");
  for (const [k, v] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, 40)) lines.push(`${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
  console.log(lines.join("\n"));
  writeFileSync(".bench-dist/profile-summary.txt", lines.join("\n") + "\n");
} finally {
  await col.stop();
  rmSync(dir, { recursive: true, force: true });
}
