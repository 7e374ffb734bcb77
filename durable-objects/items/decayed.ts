/**
 * Bounded, time-decayed weight lists: a product's neighbours, a site's trending products.
 * Every weight in a list is valid at the list's time `t` and halves every half-life, so the
 * whole list decays by one factor when it is next written (lazily, like profile affinities).
 * Pure.
 */

/** key -> [weight, bought weight] at time t (bought: carted or purchased together). */
export interface DecayedList {
  t: number;
  e: Record<string, [number, number]>;
}

/** Weights below this (after decay) are dropped: they cannot matter and would take space. */
export const NEGLIGIBLE = 1e-3;

export const factor = (fromMs: number, toMs: number, halfLifeMs: number): number => Math.pow(2, -Math.max(0, toMs - fromMs) / halfLifeMs);

/**
 * Adds weights valid at `at` to a list and keeps the `cap` strongest. A late addition
 * (at < list.t) counts as decayed to the list's time. Returns a new list.
 */
export function mergeDecayed(list: DecayedList | null, adds: Record<string, [number, number]>, at: number, halfLifeMs: number, cap: number): DecayedList {
  const t = Math.max(list?.t ?? at, at);
  const old = list ? factor(list.t, t, halfLifeMs) : 1;
  const add = factor(at, t, halfLifeMs);
  const e: Record<string, [number, number]> = {};
  if (list) for (const [k, [w, b]] of Object.entries(list.e)) e[k] = [w * old, b * old];
  for (const [k, [w, b]] of Object.entries(adds)) {
    const cur = e[k] ?? [0, 0];
    e[k] = [cur[0] + w * add, cur[1] + b * add];
  }
  let entries = Object.entries(e).filter(([, [w]]) => w >= NEGLIGIBLE);
  if (entries.length > cap) entries = entries.sort((x, y) => y[1][0] - x[1][0]).slice(0, cap);
  return { t, e: Object.fromEntries(entries.map(([k, [w, b]]) => [k, [round(w), round(b)]])) };
}

/**
 * A list kept parsed in memory (ItemStats): a Map, merged in place by `mergeLive`, which
 * copies nothing and rounds nothing (`forStorage` rounds when the list is written). Merging a
 * few neighbours into a full list then costs a few multiplications, not a new object and
 * 2 x cap roundings (bench/decayed.bench.ts compares the two on a consumer batch of 500
 * products; docs/PERFORMANCE.md quotes a run).
 */
export interface LiveList {
  t: number;
  e: Map<string, [number, number]>;
}

export const live = (list: DecayedList): LiveList => ({ t: list.t, e: new Map(Object.entries(list.e)) });

/**
 * `mergeDecayed` on a LiveList: changes it and returns it. Keeps the same entries as
 * `mergeDecayed` (ties at the bound: the earlier key stays) with the same weights up to its
 * rounding.
 */
export function mergeLive(list: LiveList, adds: Record<string, [number, number]>, at: number, halfLifeMs: number, cap: number): LiveList {
  const e = list.e;
  if (at > list.t) {
    const f = factor(list.t, at, halfLifeMs);
    for (const v of e.values()) {
      v[0] *= f;
      v[1] *= f;
    }
    list.t = at;
  }
  const add = factor(at, list.t, halfLifeMs);
  for (const k in adds) {
    const [w, b] = adds[k]!;
    const cur = e.get(k);
    if (cur) {
      cur[0] += w * add;
      cur[1] += b * add;
    } else e.set(k, [w * add, b * add]);
  }
  for (const [k, v] of e) if (v[0] < NEGLIGIBLE) e.delete(k);
  if (e.size <= cap) return list;
  const ws: number[] = [];
  for (const v of e.values()) ws.push(v[0]);
  ws.sort((x, y) => y - x);
  const threshold = ws[cap - 1]!;
  let ties = cap;
  for (const w of ws) if (w > threshold) ties--;
  for (const [k, v] of e) {
    if (v[0] > threshold) continue;
    if (v[0] === threshold && ties > 0) ties--;
    else e.delete(k);
  }
  return list;
}

/** A LiveList as stored in SQLite: six decimals (short JSON, cheap to compute; weights below NEGLIGIBLE are gone). */
export function forStorage(list: LiveList): DecayedList {
  const e: Record<string, [number, number]> = {};
  for (const [k, [w, b]] of list.e) e[k] = [Math.round(w * 1e6) / 1e6, Math.round(b * 1e6) / 1e6];
  return { t: list.t, e };
}

/** The `n` strongest entries decayed to `now`, strongest first. */
export function topDecayed(list: DecayedList | LiveList | null, now: number, halfLifeMs: number, n: number): { key: string; w: number; b: number }[] {
  if (!list) return [];
  const f = factor(list.t, now, halfLifeMs);
  return (list.e instanceof Map ? [...list.e] : Object.entries(list.e))
    .map(([key, [w, b]]) => ({ key, w: round(w * f), b: round(b * f) }))
    .sort((a, b) => b.w - a.w || (a.key < b.key ? -1 : 1))
    .slice(0, n);
}

/** Sum of the weights decayed to `now`. */
export const totalDecayed = (list: DecayedList | null, now: number, halfLifeMs: number): number =>
  list ? Object.values(list.e).reduce((s, [w]) => s + w, 0) * factor(list.t, now, halfLifeMs) : 0;

/** Six significant digits: enough for ranking, short in JSON. */
export const round = (x: number): number => (x === 0 ? 0 : Number(x.toPrecision(6)));
