/**
 * What GET /v1/admin/stats/:site answers: per-minute series and totals over a window, from the
 * minute rows of the stats objects. Quantiles come from merged sketches. Pure.
 */
import { countOf, quantile, type Sketch } from "./sketch";
import { mergeInto, num, sub, type Tree } from "../../durable-objects/lib/metric-tree";

/** Counters kept per minute (see docs/OBSERVABILITY.md for who counts what, and how exactly). */
export const SCALARS = [
  "requests", "bytes_in", "duplicates", "lake_events", "lake_objects", "consumer_batches", "queue_messages", "queue_retries",
  "deadletter_batches", "deadletter_messages", "deadletter_events",
  "purge_deletions_applied", "purge_objects_rewritten", "purge_events_removed",
] as const;
/** sdk_metrics: analytics.js telemetry by metric name (POST /v1/m, routes/sdk-metrics.ts). */
export const LABELLED = ["accepted", "rejected", "status", "sdk_metrics"] as const;
export const SKETCHES = ["ingest_ms", "flush_lag_ms", "lake_lag_ms"] as const;

export interface Lag {
  count: number;
  p50: number | null;
  p99: number | null;
}
export type MinuteView = { [K in (typeof SCALARS)[number]]: number } & { [K in (typeof LABELLED)[number]]: Record<string, number> } & {
  [K in (typeof SKETCHES)[number]]: Lag;
} & { accepted_total: number; rejected_total: number };

const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
const lag = (s: Sketch): Lag => ({ count: countOf(s), p50: quantile(s, 0.5), p99: quantile(s, 0.99) });

export function viewRow(row: Tree): MinuteView {
  const v = {} as Record<string, unknown>;
  for (const k of SCALARS) v[k] = num(row, k);
  for (const k of LABELLED) v[k] = { ...sub(row, k) };
  for (const k of SKETCHES) v[k] = lag(sub(row, k));
  v.accepted_total = total(sub(row, "accepted"));
  v.rejected_total = total(sub(row, "rejected"));
  return v as MinuteView;
}

export type QueueHealth = "ok" | "idle" | "degraded" | "failing";

export interface StatsView {
  site: string;
  from: string;
  to: string;
  minutes: number;
  totals: MinuteView;
  series: ({ minute: string } & MinuteView)[];
  queue: { health: QueueHealth; reason: string; last_batch_minute: string | null; retries_15m: number; dead_lettered_15m: number; lake_lag_p99_ms_15m: number | null };
}

/** Rows keyed by epoch minute; the window is the `minutes` minutes ending with `nowMinute`. */
export function statsView(site: string, rows: Record<string, Tree>, nowMinute: number, minutes: number): StatsView {
  const from = nowMinute - minutes + 1;
  const keys = Object.keys(rows).map(Number).filter((m) => m >= from && m <= nowMinute).sort((a, b) => a - b);
  const all: Tree = {};
  const recent: Tree = {};
  let lastBatch: number | null = null;
  for (const m of keys) {
    mergeInto(all, rows[m]!);
    if (m > nowMinute - 15) mergeInto(recent, rows[m]!);
    if (num(rows[m], "consumer_batches") > 0) lastBatch = m;
  }
  const iso = (m: number) => new Date(m * 60_000).toISOString();
  const r = viewRow(recent);
  const [health, reason] = queueHealth(r);
  return {
    site,
    from: iso(from),
    to: iso(nowMinute + 1),
    minutes,
    totals: viewRow(all),
    series: keys.map((m) => ({ minute: iso(m), ...viewRow(rows[m]!) })),
    queue: { health, reason, last_batch_minute: lastBatch === null ? null : iso(lastBatch), retries_15m: r.queue_retries, dead_lettered_15m: r.deadletter_messages, lake_lag_p99_ms_15m: r.lake_lag_ms.p99 },
  };
}

/** Over the last 15 minutes: dead letters fail it; retries or a lake lag p99 over a minute degrade it. */
export function queueHealth(r: MinuteView): [QueueHealth, string] {
  if (r.deadletter_messages > 0) return ["failing", `${r.deadletter_messages} message(s) dead-lettered`];
  if (r.queue_retries > 0) return ["degraded", `${r.queue_retries} message(s) retried by the consumer`];
  if ((r.lake_lag_ms.p99 ?? 0) > 60_000) return ["degraded", `lake lag p99 is ${Math.round(r.lake_lag_ms.p99! / 1000)} s`];
  if (r.consumer_batches === 0 && r.accepted_total === 0) return ["idle", "no consumer batch in 15 minutes"];
  return ["ok", "batches flowing"];
}
