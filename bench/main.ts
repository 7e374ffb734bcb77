/**
 * `npm run bench` (full) and `npm run bench:smoke` (a few seconds per phase, no peers):
 * the collector, an empty 204 worker (the ceiling) and the floor worker on workerd through
 * Miniflare's API, load from a separate autocannon process: fixed beacons, the realistic mix,
 * what one beacon writes, freshness, per-event CPU, snippet sizes and cost, written to
 * bench/results/<date>.json, bench/results/latest.json, docs/PERFORMANCE.md and
 * docs/performance.svg. The smoke run writes .bench-dist/smoke.json only; `--only a,b` runs
 * some sections (rows, phases, mix, floor, disk, freshness, recs, cpu, snippets) into
 * .bench-dist/partial.json, except `--only recs`, which writes bench/results/recs-<date>.json
 * and its section (and target rows) into docs/PERFORMANCE.md's generated block.
 *
 * Fails (exit 1) on errors (a non-2xx answer, an event that never shows up), never on numbers.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import type { CostBreakdown, Counters } from "./cost";
import { pushed, readBack, toLake, type LakeBucket, type Pushed } from "./freshness";
import type { LoadResult } from "./load";
import { markdown, spliceGenerated, spliceRecs, svg } from "./report";
import { recsPhases, type RecsBenchOptions, type RecsBenchResult } from "./recs";
import { rowsProbe, type RowsProbe } from "./rows";
import { DISTINCT_USERS, fixedPhase, floorPhases, HOT_USERS, mixPhase, SITE_SECRETS, SITES, type RunOptions } from "./phases";
import { runLoad } from "./runner";
import { ADMIN_TOKEN, ROOT, startCeiling, startCollector, type Server } from "./servers";
import { snippetSizes, type SnippetSize } from "./snippets";
import type { summary } from "./stats";
import { computeTargets, type Targets } from "./targets";

const smoke = process.argv.includes("--smoke");
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const onlyArg = process.argv.indexOf("--only");
const only = onlyArg > 0 ? new Set(process.argv[onlyArg + 1]!.split(",")) : null;
const want = (section: string) => !only || only.has(section);
const eventsArg = process.argv.indexOf("--events");
const EVENT_SIZES = eventsArg > 0 ? process.argv[eventsArg + 1]!.split(",").map(Number) : [1, 10, 50];
const SECONDS = arg("seconds", smoke ? 3 : 10);
const CONNECTIONS = arg("connections", 50);
const log = (s: string) => console.log(`[bench] ${s}`);

export interface PhaseResult {
  events: number;
  users: number;
  users_label: string;
  load: LoadResult;
  ceiling: LoadResult;
  ratio_rps: number;
  ratio_p99: number;
  counters?: Counters;
  cost?: { measured: CostBreakdown; naive: CostBreakdown };
}
export interface FloorResult {
  users: number;
  users_label: string;
  load: LoadResult;
  ratio_rps: number;
}
export interface MixResult {
  settings: { min_gap_ms: number; returning: number; idle_ms: number; server_share: number; customers: number; session_timeout_s: number; warmup_s: number; rate_per_s: number };
  load: LoadResult;
  /** Client events accepted over warm-up and measured run (the cost's denominator). */
  accepted_events: number;
  timer_events: number;
  counters: Counters;
  rows_per_event: number;
  cost: { measured: CostBreakdown; naive: CostBreakdown };
}
type Summary = ReturnType<typeof summary>;
export interface BenchResult {
  date: string;
  command: string;
  smoke: boolean;
  sections: string[];
  machine: { cpus: number; model: string; memory_gb: number; loadavg: number[]; loadavg_end?: number[]; node: string; os: string };
  settings: { seconds: number; connections: number; hot_users: number; distinct_users: number; rate_limits: string; storage: string };
  /** A worker + one SQLite Durable Object row per beacon, nothing else (10 events/beacon). */
  floor: FloorResult[];
  /** The 10-event phases again with Durable Object storage on this machine's disk. */
  disk_phases: PhaseResult[];
  phases: PhaseResult[];
  mix: MixResult | null;
  rows: RowsProbe[];
  freshness: { flush: string; read_back: Summary; pushed: Pushed; lake: Summary } | null;
  cpu: { zod_jit: boolean; node: string; measure?: string; results: Record<string, { us_per_event: number; us_per_beacon: number; wall_p50_us_per_beacon?: number; p99_us_per_beacon: number; samples: number }>; around_the_beacon?: Record<string, number> } | null;
  snippets: SnippetSize[];
  /** GET /v1/recommendations, and ingest with site-wide item statistics on and off (bench/recs.ts). */
  recommendations: RecsBenchResult | null;
  targets: Targets;
}

function machine() {
  const cpus = os.cpus();
  return {
    cpus: os.availableParallelism?.() ?? cpus.length,
    model: cpus[0]?.model.trim() ?? "unknown",
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    loadavg: os.loadavg(),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
  };
}

function cpuBench(): BenchResult["cpu"] {
  log("CPU bench (vitest bench on the pure functions)");
  execFileSync(process.execPath, [join(ROOT, "node_modules/vitest/vitest.mjs"), "run", "--config", "bench/vitest.config.ts"], { cwd: ROOT, stdio: "inherit" });
  return JSON.parse(readFileSync(join(ROOT, ".bench-dist/cpu.json"), "utf8")) as BenchResult["cpu"];
}


/** Load errors of the recommendation phases, as failures of the run. */
function recsFailures(r: RecsBenchResult): string[] {
  const loads = [...r.ingest.map((x) => [`ingest, statistics ${x.stats}`, x.load] as const), ["GET /v1/recommendations", r.read.load] as const];
  return loads.filter(([, l]) => l.non2xx || l.errors).map(([name, l]) => `${name}: ${l.ok} ok, ${l.non2xx} non-2xx ${JSON.stringify(l.status)}, ${l.errors} errors`);
}

async function recsOnly(): Promise<void> {
  const started = new Date();
  const m = machine();
  log(`only the recommendation phases; ${m.cpus} × ${m.model}, load ${m.loadavg.map((x) => x.toFixed(1)).join("/")}; ${SECONDS} s phases, ${CONNECTIONS} connections`);
  const ceiling = await startCeiling();
  const shm = existsSync("/dev/shm") ? mkdtempSync("/dev/shm/edge-collector-bench-") : undefined;
  try {
    const r = await recsPhases(recsOptions(ceiling, shm, started));
    for (const [k, t] of Object.entries(r.targets)) log(`target ${k}: ${t.target}: ${t.value} ${t.met ? "MET" : "MISSED"}`);
    const dir = join(ROOT, "bench/results");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `recs-${started.toISOString().slice(0, 19).replace(/:/g, "")}Z.json`);
    writeFileSync(file, JSON.stringify({ date: started.toISOString(), command: "npm run bench -- --only recs", machine: { ...m, loadavg_end: os.loadavg() }, settings: { seconds: SECONDS, connections: CONNECTIONS, storage: shm ? "tmpfs" : "disk" }, recommendations: r }, null, 2));
    log(`wrote ${file.slice(ROOT.length)}`);
    writeRecsSection(r, { date: started.toISOString(), command: "npm run bench -- --only recs", loadavg: m.loadavg, loadavg_end: os.loadavg() });
    const failures = recsFailures(r);
    for (const f of failures) console.error(`[bench] ERROR ${f}`);
    if (failures.length) process.exit(1);
  } finally {
    await ceiling.stop();
    if (shm) rmSync(shm, { recursive: true, force: true });
  }
}

/** A recs-only run's section and target rows into docs/PERFORMANCE.md's generated block (report.ts spliceRecs). */
function writeRecsSection(r: RecsBenchResult, run: Parameters<typeof spliceRecs>[2]): void {
  const docPath = join(ROOT, "docs/PERFORMANCE.md");
  const doc = readFileSync(docPath, "utf8");
  const spliced = spliceRecs(doc, r, run);
  if (spliced === doc) return log("docs/PERFORMANCE.md has no recommendation section in its generated block: run the full bench");
  writeFileSync(docPath, spliced);
  log("wrote the recommendation section and its target rows into docs/PERFORMANCE.md's generated block");
}

function recsOptions(ceiling: Server, shm: string | undefined, started: Date): RecsBenchOptions {
  return { seconds: SECONDS, connections: CONNECTIONS, ceiling, storageDir: shm, runId: `r-${started.getTime().toString(36)}`, log, onLog: (l) => (/error|failed/i.test(l) ? console.log(`[worker] ${l.slice(0, 300)}`) : undefined) };
}

/** `--report <results.json>`: docs/PERFORMANCE.md's generated block and the chart again from a run's results (no load). */
function reportOnly(file: string): void {
  const result = JSON.parse(readFileSync(file, "utf8")) as BenchResult;
  const docPath = join(ROOT, "docs/PERFORMANCE.md");
  writeFileSync(docPath, spliceGenerated(readFileSync(docPath, "utf8"), markdown(result)));
  writeFileSync(join(ROOT, "docs/performance.svg"), svg(result));
  log(`wrote docs/PERFORMANCE.md and docs/performance.svg from ${file}`);
}

async function main(): Promise<void> {
  // `--report-recs bench/results/recs-<date>.json`: that recs-only run's section again (e.g. after a merge).
  const recsArg = process.argv.indexOf("--report-recs");
  if (recsArg > 0) {
    const j = JSON.parse(readFileSync(process.argv[recsArg + 1]!, "utf8")) as { date: string; command: string; machine: { loadavg: number[]; loadavg_end?: number[] }; recommendations: RecsBenchResult };
    return writeRecsSection(j.recommendations, { date: j.date, command: j.command, loadavg: j.machine.loadavg, ...(j.machine.loadavg_end ? { loadavg_end: j.machine.loadavg_end } : {}) });
  }
  const reportArg = process.argv.indexOf("--report");
  if (reportArg > 0) return reportOnly(process.argv[reportArg + 1]!);
  if (only?.size === 1 && only.has("recs")) return recsOnly();
  const started = new Date();
  const runTag = started.getTime().toString(36);
  const m = machine();
  log(`${m.cpus} × ${m.model}, load ${m.loadavg.map((x) => x.toFixed(1)).join("/")}; ${SECONDS} s phases, ${CONNECTIONS} connections${only ? `; only ${[...only].join(", ")}` : ""}`);
  const failures: string[] = [];

  const ceiling = await startCeiling();
  // Durable Object SQLite files on tmpfs: on this shared VM's disk every commit waits for an
  // fsync, which is not how Cloudflare's storage commits (replicated, off the request thread).
  // The 10-event phases are repeated on disk below, so both are in the report.
  const shm = existsSync("/dev/shm") ? mkdtempSync("/dev/shm/edge-collector-bench-") : undefined;
  // The rate-limit bindings are left out: at load-test rates they answer 429 by design, and
  // Miniflare's local implementation costs ~30 ms per call (Cloudflare's runs in the colo).
  const onLog = (l: string) => (/error|failed/i.test(l) ? console.log(`[worker] ${l.slice(0, 300)}`) : undefined);
  const vars = { SITES, SITE_SECRETS };
  const collector = await startCollector({ vars, noRateLimits: true, storageDir: shm, onLog });
  const phases: PhaseResult[] = [];
  const diskPhases: PhaseResult[] = [];
  const floor: FloorResult[] = [];
  const ceilings = new Map<number, LoadResult>();
  let mix: MixResult | null = null;
  let rows: RowsProbe[] = [];
  let freshness: BenchResult["freshness"] = null;

  async function ceilingFor(events: number): Promise<LoadResult> {
    if (!ceilings.has(events)) {
      log(`ceiling, ${events} events/beacon`);
      const ceil = await runLoad({ url: ceiling.url, site: "bench", events, users: DISTINCT_USERS, connections: CONNECTIONS, seconds: SECONDS, runId: `c-${events}` });
      log(`  ${ceil.rps.toFixed(0)} req/s, p50 ${ceil.latency_ms.p50} ms, p99 ${ceil.latency_ms.p99} ms`);
      ceilings.set(events, ceil);
    }
    return ceilings.get(events)!;
  }

  const run: RunOptions = { seconds: SECONDS, connections: CONNECTIONS, smoke, log, failures };
  try {
    if (want("rows")) rows = await rowsProbe(collector.url, "bench", runTag, log);
    if (want("phases")) {
      for (const events of EVENT_SIZES) for (const users of [HOT_USERS, DISTINCT_USERS]) phases.push(await fixedPhase(run, collector.url, await ceilingFor(events), events, users, `l-${runTag}-${events}-${users}`));
    }
    if (want("mix")) mix = await mixPhase(run, collector.url, `mx-${runTag}`);
    if (want("floor")) floor.push(...(await floorPhases(run, await ceilingFor(10), runTag, shm)));
    if (want("disk") && !smoke) {
      const onDisk = await startCollector({ vars, noRateLimits: true, onLog });
      try {
        for (const users of [HOT_USERS, DISTINCT_USERS]) diskPhases.push(await fixedPhase(run, onDisk.url, await ceilingFor(10), 10, users, `l-${runTag}-disk-10-${users}`, " (storage on disk)"));
      } finally {
        await onDisk.stop();
      }
    }

    if (want("freshness")) {
      log("freshness: event -> profile (read back)");
      const rb = await readBack(collector.url, ADMIN_TOKEN, "fresh", smoke ? 10 : 200, runTag);
      log(`  p50 ${rb.p50.toFixed(1)} ms, p99 ${rb.p99.toFixed(1)} ms`);
      const pu = await pushed(collector.url, ADMIN_TOKEN, "fresh", smoke ? 5 : 50, runTag);
      log(`freshness: event -> profile (pushed): ${pu.available ? `p50 ${pu.p50.toFixed(1)} ms, p99 ${pu.p99.toFixed(1)} ms` : `not available (${pu.reason})`}`);
      log("freshness: event -> lake (default flush settings)");
      const lake = (await collector.mf.getR2Bucket("LAKE")) as unknown as LakeBucket;
      const lk = await toLake(collector.url, lake, "lake", smoke ? 5 : 100, smoke ? 200 : 100, runTag);
      log(`  p50 ${lk.p50} ms, p99 ${lk.p99} ms`);
      freshness = { flush: "FLUSH_INTERVAL_MS 5000, FLUSH_MAX_EVENTS 50, consumer max_batch_timeout 2 s", read_back: rb, pushed: pu, lake: lk };
    }

    let recommendations: RecsBenchResult | null = null;
    if (want("recs")) {
      recommendations = await recsPhases(recsOptions(ceiling, shm, started));
      failures.push(...recsFailures(recommendations));
    }

    const cpu = want("cpu") ? cpuBench() : null;
    const snippets = want("snippets") && !smoke ? await snippetSizes(log) : [];

    const result: BenchResult = {
      date: started.toISOString(),
      command: smoke ? "npm run bench:smoke" : only ? `npm run bench -- --only ${[...only].join(",")}` : "npm run bench",
      smoke,
      sections: only ? [...only] : ["rows", "phases", "mix", "floor", ...(smoke ? [] : ["disk"]), "freshness", "recs", "cpu", ...(smoke ? [] : ["snippets"])],
      machine: { ...m, loadavg_end: os.loadavg() },
      settings: {
        seconds: SECONDS,
        connections: CONNECTIONS,
        hot_users: HOT_USERS,
        distinct_users: DISTINCT_USERS,
        rate_limits: "bindings left out (see docs/PERFORMANCE.md)",
        storage: shm ? "Durable Object SQLite, R2 and queue files on tmpfs (/dev/shm); disk_phases: on disk" : "on disk (no /dev/shm)",
      },
      phases,
      floor,
      disk_phases: diskPhases,
      mix,
      rows,
      freshness,
      cpu,
      snippets,
      recommendations,
      targets: {},
    };
    result.targets = { ...computeTargets(result), ...(recommendations?.targets ?? {}) };
    for (const [k, t] of Object.entries(result.targets)) log(`target ${k}: ${t.target}: ${t.detail ?? t.value} ${t.met ? "MET" : "MISSED"}`);

    mkdirSync(join(ROOT, ".bench-dist"), { recursive: true });
    const json = JSON.stringify(result, null, 2);
    if (smoke || only) {
      const out = smoke && !only ? "smoke.json" : "partial.json";
      writeFileSync(join(ROOT, ".bench-dist", out), json);
      log(`wrote .bench-dist/${out}`);
    } else {
      const dir = join(ROOT, "bench/results");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${started.toISOString().slice(0, 19).replace(/:/g, "")}Z.json`), json);
      writeFileSync(join(dir, "latest.json"), json);
      const docPath = join(ROOT, "docs/PERFORMANCE.md");
      const doc = existsSync(docPath) ? readFileSync(docPath, "utf8") : "# Performance\n";
      writeFileSync(docPath, spliceGenerated(doc, markdown(result)));
      writeFileSync(join(ROOT, "docs/performance.svg"), svg(result));
      log("wrote bench/results/latest.json, docs/PERFORMANCE.md, docs/performance.svg");
    }
  } finally {
    await Promise.allSettled([ceiling.stop(), collector.stop()]);
    if (shm) rmSync(shm, { recursive: true, force: true });
  }
  if (failures.length) {
    for (const f of failures) console.error(`[bench] ERROR ${f}`);
    process.exit(1);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error("[bench] failed:", e);
    process.exit(1);
  },
);
