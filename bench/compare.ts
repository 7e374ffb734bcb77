/**
 * `npm run bench:compare -- --base <git ref> [--label "what changed"] [--seconds 5]`: the
 * collector built from a git ref (the baseline) and from the working tree, side by side in
 * one run on the same machine, phase by phase alternately: what one beacon writes, the
 * realistic mix, 10-event beacons over hot and distinct users, and the floor; with
 * `--only recs`, GET /v1/recommendations at 1, 10 and 50 connections (`--repeat` rounds, the
 * order of the builds alternating, the ceiling at the same connections each round). For recording
 * a change's effect against its baseline measured in the same run (docs/PERFORMANCE.md).
 * Both builds run bench/worker/entry.ts of the working tree (the counters), around their own
 * worker/ and durable-objects/.
 */
import { execSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { DISTINCT_USERS, fixedPhase, floorPhases, HOT_USERS, mixPhase, SITE_SECRETS, SITES, type RunOptions } from "./phases";
import { readLoad, readPhase, seedReads, type ReadRpcs } from "./recs-read";
import { rowsProbe, type RowsProbe } from "./rows";
import { runLoad } from "./runner";
import { ROOT, startCeiling, startCollector, startReadFloor, type Server } from "./servers";

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const base = arg("base", "HEAD");
const labelOf = arg("label", "working tree");
const seconds = Number(arg("seconds", "5"));
const only = new Set(arg("only", "rows,mix,phases").split(","));
/** Runs the working tree's phase first (to see whether going second costs either build). */
const headFirst = process.argv.includes("--head-first");
const repeat = Number(arg("repeat", "3"));
/** Variables for the working tree's collector only, e.g. `--head-vars '{"BENCH_STAGE":"no_log"}'` (diagnostics). */
const headVars = JSON.parse(arg("head-vars", "{}")) as Record<string, string>;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
type ReadRound = { rps: number; mean: number; p50: number; p99: number; rpcs: ReadRpcs };
const log = (s: string) => console.log(`[compare] ${s}`);

/** The source tree of a git ref, with this checkout's node_modules, generated files and bench entry. */
function unpack(ref: string): string {
  const dir = mkdtempSync(join(os.tmpdir(), "edge-collector-base-"));
  execSync(`git archive ${ref} | tar -x -C ${dir}`, { cwd: ROOT, stdio: "inherit" });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  if (existsSync(join(ROOT, "worker/generated"))) cpSync(join(ROOT, "worker/generated"), join(dir, "worker/generated"), { recursive: true });
  mkdirSync(join(dir, "bench/worker"), { recursive: true });
  for (const f of ["bench/worker/entry.ts", "bench/cost.ts"]) cpSync(join(ROOT, f), join(dir, f));
  return dir;
}

interface Side {
  name: string;
  server: Server;
  rows: RowsProbe[];
  results: Record<string, { rps: number; p50: number; p99: number; rows_per_event: number; usd: number; naive_usd: number }>;
  mix?: unknown;
  /** GET /v1/recommendations by connections: one entry per round. */
  recs: Record<number, ReadRound[]>;
}

async function main() {
  const failures: string[] = [];
  const run: RunOptions = { seconds, connections: 50, smoke: seconds < 5, log, failures };
  const tag = Date.now().toString(36);
  const shm = existsSync("/dev/shm") ? mkdtempSync("/dev/shm/edge-collector-compare-") : undefined;
  const baseDir = unpack(base);
  const cleanup = () => {
    if (shm) rmSync(shm, { recursive: true, force: true });
    rmSync(baseDir, { recursive: true, force: true });
  };
  const vars = { SITES, SITE_SECRETS };
  let sides: Side[];
  let ceiling: Server;
  let readFloor: Server | undefined;
  try {
    sides = [
      { name: `base (${base})`, server: await startCollector({ vars, noRateLimits: true, storageDir: shm && join(shm, "base"), root: baseDir }), rows: [], results: {}, recs: {} },
      { name: labelOf, server: await startCollector({ vars: { ...vars, ...headVars }, noRateLimits: true, storageDir: shm && join(shm, "head") }), rows: [], results: {}, recs: {} },
    ];
    ceiling = await startCeiling();
  } catch (e) {
    cleanup(); // a build that fails leaves nothing behind
    throw e;
  }
  log(`load ${os.loadavg().map((x) => x.toFixed(1)).join("/")}; ${seconds} s phases`);
  try {
    const ceil10 = await runLoad({ url: ceiling.url, site: "bench", events: 10, users: DISTINCT_USERS, connections: 50, seconds, runId: `c-${tag}` });
    if (only.has("rows")) for (const s of sides) s.rows = await rowsProbe(s.server.url, "bench", `${tag}-${s === sides[0] ? "b" : "h"}`, (l) => log(`${s.name}: ${l}`));
    if (only.has("mix")) {
      for (const s of sides) {
        const m = await mixPhase(run, s.server.url, `mx-${tag}-${s === sides[0] ? "b" : "h"}`);
        s.mix = { rows_by_table: m.counters.rows_by_table, lines: m.cost.measured.lines, requests: m.load.mix?.requests, accepted: m.accepted_events, timer_events: m.timer_events };
        s.results.mix = { rps: m.load.rps, p50: m.load.latency_ms.p50, p99: m.load.latency_ms.p99, rows_per_event: m.rows_per_event, usd: m.cost.measured.with_storage_usd_per_million, naive_usd: m.cost.naive.with_storage_usd_per_million };
      }
    }
    const floor = only.has("phases") ? await floorPhases(run, ceil10, tag, shm) : [];
    if (only.has("phases")) {
      for (const users of [HOT_USERS, DISTINCT_USERS]) {
        for (const s of headFirst ? [...sides].reverse() : sides) {
          const p = await fixedPhase(run, s.server.url, ceil10, 10, users, `l-${tag}-${s === sides[0] ? "b" : "h"}-${users}`);
          const c = p.counters!;
          s.results[`10ev-${users}`] = { rps: p.load.rps, p50: p.load.latency_ms.p50, p99: p.load.latency_ms.p99, rows_per_event: (c.profile_rows_written + c.ledger_rows_written + c.stats_rows_written + (c.items_rows_written ?? 0)) / Math.max(1, p.cost!.measured.events), usd: p.cost!.measured.with_storage_usd_per_million, naive_usd: p.cost!.naive.with_storage_usd_per_million };
        }
      }
    }
    const ceilRecs: Record<number, ReadRound[]> = {};
    const floorRecs: Record<number, ReadRound[]> = {};
    if (only.has("recs")) {
      readFloor = await startReadFloor(shm && join(shm, "read-floor"));
      for (const s of sides) await seedReads(s.server, `${tag}-${s === sides[0] ? "b" : "h"}`, (l) => log(`${s.name}: ${l}`));
      for (const n of [1, 10, 50]) {
        for (let i = 0; i < repeat; i++) {
          const c = await readLoad(ceiling.url, n, seconds, `rc-${tag}-${n}-${i}`);
          (ceilRecs[n] ??= []).push({ rps: c.rps, mean: c.latency_ms.mean, p50: c.latency_ms.p50, p99: c.latency_ms.p99, rpcs: { user: 0, item_reads: 0, trend_reads: 0 } });
          const fl = await readLoad(readFloor.url, n, seconds, `rf-${tag}-${n}-${i}`);
          (floorRecs[n] ??= []).push({ rps: fl.rps, mean: fl.latency_ms.mean, p50: fl.latency_ms.p50, p99: fl.latency_ms.p99, rpcs: { user: 1, item_reads: 0, trend_reads: 0 } });
          for (const s of i % 2 === (headFirst ? 0 : 1) ? [...sides].reverse() : sides) {
            const r = await readPhase(s.server, n, seconds, `r-${tag}-${s === sides[0] ? "b" : "h"}-${n}-${i}`);
            if (r.load.non2xx || r.load.errors) failures.push(`${s.name}, recommendations at ${n} connections: ${r.load.non2xx} non-2xx, ${r.load.errors} errors`);
            (s.recs[n] ??= []).push({ rps: r.load.rps, mean: r.load.latency_ms.mean, p50: r.load.latency_ms.p50, p99: r.load.latency_ms.p99, rpcs: r.rpcs });
            log(`${s.name}: recommendations, ${n} connections, round ${i + 1}: ${r.load.rps.toFixed(0)} req/s, p50 ${r.load.latency_ms.p50} ms, p99 ${r.load.latency_ms.p99} ms (ceiling ${c.rps.toFixed(0)} req/s, p99 ${c.latency_ms.p99} ms); ${r.rpcs.item_reads} item reads per request`);
          }
        }
      }
    }
    const fl = (users: number) => floor.find((f) => f.users === users)?.load;
    const L: string[] = [];
    L.push(`Compared ${new Date().toISOString()}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(" / ")}, ${seconds} s phases; floor: ${fl(HOT_USERS)?.rps.toFixed(0) ?? "–"} req/s hot, ${fl(DISTINCT_USERS)?.rps.toFixed(0) ?? "–"} req/s 100k users.`);
    L.push("");
    L.push("| build | mix: rows/event | mix: $/M events (naive) | new visitor, 3 events: user rows | warm, 3 events: user rows | 10 ev, hot: req/s (vs floor), p99 | 10 ev, 100k: req/s (vs floor), p99 |");
    L.push("|---|---:|---:|---:|---:|---:|---:|");
    for (const s of sides) {
      const m = s.results.mix;
      const r3 = (v: string) => s.rows.find((p) => p.events === 3 && p.visitor === v)?.total.user_rows ?? "–";
      const ph = (users: number) => {
        const x = s.results[`10ev-${users}`];
        const f = fl(users);
        return x ? `${x.rps.toFixed(0)} (${f ? ((x.rps / f.rps) * 100).toFixed(0) : "–"}%), ${x.p99} ms` : "–";
      };
      L.push(`| ${s.name} | ${m ? m.rows_per_event.toFixed(2) : "–"} | ${m ? `$${m.usd.toFixed(2)} ($${m.naive_usd.toFixed(2)})` : "–"} | ${r3("new")} | ${r3("warm")} | ${ph(HOT_USERS)} | ${ph(DISTINCT_USERS)} |`);
    }
    if (only.has("recs")) {
      L.push("");
      L.push(`GET /v1/recommendations, medians of ${repeat} rounds (req/s, mean / p50 / p99 ms; RPCs per request: user, item, trend):`);
      L.push("");
      L.push("| build | 1 connection | 10 connections | 50 connections |");
      L.push("|---|---:|---:|---:|");
      const cell = (rounds: ReadRound[] | undefined, rpcs = true) => {
        if (!rounds?.length) return "–";
        const m = (k: "rps" | "mean" | "p50" | "p99") => median(rounds.map((r) => r[k]));
        const r = (k: keyof ReadRpcs) => median(rounds.map((x) => x.rpcs[k])).toFixed(2);
        return `${m("rps").toFixed(0)} req/s, ${m("mean").toFixed(2)} / ${m("p50")} / ${m("p99")} ms${rpcs ? `; ${r("user")}, ${r("item_reads")}, ${r("trend_reads")}` : ""}`;
      };
      L.push(`| empty worker (ceiling) | ${[1, 10, 50].map((n) => cell(ceilRecs[n], false)).join(" | ")} |`);
      L.push(`| read floor (one RPC to the person's object) | ${[1, 10, 50].map((n) => cell(floorRecs[n], false)).join(" | ")} |`);
      for (const s of sides) L.push(`| ${s.name} | ${[1, 10, 50].map((n) => cell(s.recs[n])).join(" | ")} |`);
      // Rounds run back to back, so the ratio within a round cancels most of a shared machine's drift.
      const paired = (n: number, k: "rps" | "mean" | "p99") => {
        const b = sides[0]!.recs[n] ?? [];
        const h = sides[1]!.recs[n] ?? [];
        return median(h.map((x, i) => x[k] / Math.max(1e-9, b[i]![k])));
      };
      L.push(`| ${sides[1]!.name} / base, median of the rounds' ratios (req/s, mean, p99) | ${[1, 10, 50].map((n) => `${paired(n, "rps").toFixed(2)}, ${paired(n, "mean").toFixed(2)}, ${paired(n, "p99").toFixed(2)}`).join(" | ")} |`);
    }
    const md = L.join("\n");
    console.log(`\n${md}\n`);
    mkdirSync(join(ROOT, ".bench-dist"), { recursive: true });
    writeFileSync(join(ROOT, `.bench-dist/compare-${tag}.json`), JSON.stringify({ base, label: labelOf, seconds, loadavg: os.loadavg(), floor, sides: sides.map((s) => ({ name: s.name, rows: s.rows, results: s.results, mix: s.mix, recs: s.recs })), ceiling_recs: ceilRecs, read_floor_recs: floorRecs, markdown: md, failures }, null, 2));
    log(`wrote .bench-dist/compare-${tag}.json`);
  } finally {
    await Promise.allSettled([ceiling.stop(), readFloor?.stop(), ...sides.map((s) => s.server.stop())]);
    cleanup();
  }
  if (failures.length) {
    for (const f of failures) console.error(`[compare] ERROR ${f}`);
    process.exit(1);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error("[compare] failed:", e);
    process.exit(1);
  },
);
