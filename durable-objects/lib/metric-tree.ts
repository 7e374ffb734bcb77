/**
 * Metric rows are trees of counters: {"requests": 3, "accepted": {"page_view": 2}, "ingest_ms": {<bucket>: n}}.
 * Merging two rows adds every leaf, so rows from many isolates, objects and consumer batches
 * combine in any order, any number of times. Pure.
 */
import type { MetricRow } from "../../schemas";

/** Metric rows are keyed by UTC minute (ms / 60,000); an hour is 60 of them. */
export const minuteOf = (ms: number): number => Math.floor(ms / 60_000);
export const hourOfMinute = (minute: number): number => Math.floor(minute / 60);

export type Tree = MetricRow;

export function bump(t: Tree, path: readonly string[], n = 1): Tree {
  if (n === 0 || !Number.isFinite(n)) return t;
  let node = t;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    let next = node[k];
    if (typeof next !== "object") node[k] = next = {};
    node = next;
  }
  const leaf = path[path.length - 1]!;
  node[leaf] = ((node[leaf] as number | undefined) ?? 0) + n;
  return t;
}

export function mergeInto(target: Tree, src: Tree): Tree {
  for (const [k, v] of Object.entries(src)) {
    if (typeof v === "number") {
      if (!Number.isFinite(v)) continue;
      const cur = target[k];
      target[k] = (typeof cur === "number" ? cur : 0) + v;
    } else if (v && typeof v === "object") {
      let cur = target[k];
      if (typeof cur !== "object") target[k] = cur = {};
      mergeInto(cur, v);
    }
  }
  return target;
}

export function num(t: Tree | undefined, k: string): number {
  const v = t?.[k];
  return typeof v === "number" ? v : 0;
}

export function sub(t: Tree | undefined, k: string): Record<string, number> {
  const v = t?.[k];
  return v && typeof v === "object" ? (v as Record<string, number>) : {};
}
