/** The targets, from one bench result: each {target, value, met} (value NaN when not measured). Pure. */
import type { BenchResult } from "./main";

/** value: a number for this file's targets; other phases (bench/recs.ts) give text. */
export type Target = { target: string; value: number | string; met: boolean; detail?: string };
export type Targets = Record<string, Target>;

const ratioOf = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? a / b : Number.NaN);

export function computeTargets(r: Pick<BenchResult, "phases" | "floor" | "mix" | "cpu" | "freshness">): Targets {
  const ten = (users: "hot" | "many") => r.phases.find((p) => p.events === 10 && (users === "hot" ? p.users <= 16 : p.users > 16));
  const fl = (users: "hot" | "many") => r.floor.find((f) => (users === "hot" ? f.users <= 16 : f.users > 16));
  const hot = ratioOf(ten("hot")?.load.rps, fl("hot")?.load.rps);
  const many = ratioOf(ten("many")?.load.rps, fl("many")?.load.rps);
  const p99Hot = ratioOf(ten("hot")?.load.latency_ms.p99, fl("hot")?.load.latency_ms.p99);
  const p99Many = ratioOf(ten("many")?.load.latency_ms.p99, fl("many")?.load.latency_ms.p99);
  const p99 = Math.max(p99Hot, p99Many);
  const mixCost = r.mix ? r.mix.cost.measured.with_storage_usd_per_million / r.mix.cost.naive.with_storage_usd_per_million : Number.NaN;
  const mixRows = r.mix?.rows_per_event ?? Number.NaN;
  const cpu10 = r.cpu?.results["10"]?.us_per_event ?? Number.NaN;
  const cpu1 = r.cpu?.results["1"]?.us_per_beacon ?? Number.NaN;
  const t = (target: string, value: number, met: boolean, detail?: string): Target => ({ target, value: Number.isFinite(value) ? Number(value.toFixed(3)) : Number.NaN, met: Number.isFinite(value) && met, ...(detail ? { detail } : {}) });
  const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "not measured");
  const out: Targets = {
    mix_cost_vs_naive: t("<= 0.33 (the mix, SQLite rows included)", mixCost, mixCost <= 0.33, r.mix ? `$${r.mix.cost.measured.with_storage_usd_per_million.toFixed(2)} vs $${r.mix.cost.naive.with_storage_usd_per_million.toFixed(2)} per million events` : undefined),
    mix_rows_per_event: t("<= 1.5 rows written per event (the mix; user, ledger, metrics and item-statistics objects)", mixRows, mixRows <= 1.5),
    floor_ratio_hot: t(">= 0.70 of the floor's req/s (10 events, 8 hot users)", hot, hot >= 0.7, `${f2(ten("hot")?.load.rps ?? NaN)} vs ${f2(fl("hot")?.load.rps ?? NaN)} req/s`),
    floor_ratio_100k: t(">= 0.70 of the floor's req/s (10 events, 100,000 users)", many, many >= 0.7, `${f2(ten("many")?.load.rps ?? NaN)} vs ${f2(fl("many")?.load.rps ?? NaN)} req/s`),
    p99_vs_floor: t("<= 2.0 × the floor's p99 (10 events; the worse of hot and 100,000 users)", p99, p99 <= 2, `hot ${f2(p99Hot)} (${ten("hot")?.load.latency_ms.p99 ?? "–"} vs ${fl("hot")?.load.latency_ms.p99 ?? "–"} ms), 100k ${f2(p99Many)} (${ten("many")?.load.latency_ms.p99 ?? "–"} vs ${fl("many")?.load.latency_ms.p99 ?? "–"} ms)`),
    cpu_us_per_event: t("<= 10 µs per event, parse + validate + enrich (10-event beacons)", cpu10, cpu10 <= 10),
    cpu_us_1_event_beacon: t("<= 40 µs per 1-event beacon, parse + validate + enrich", cpu1, cpu1 <= 40),
  };
  if (r.freshness) {
    out.profile_p99_ms = t("event -> profile p99 <= 50 ms (read back)", r.freshness.read_back.p99, r.freshness.read_back.p99 <= 50);
    out.lake_p99_s = t("event -> lake p99 <= 10 s", r.freshness.lake.p99 / 1000, r.freshness.lake.p99 <= 10_000);
  }
  return out;
}
