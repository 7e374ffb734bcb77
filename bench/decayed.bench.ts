/**
 * What ItemStats spends merging one consumer batch into its products' neighbour lists: 500
 * products with 40 neighbours each, 8 new neighbours per product, as `mergeDecayed` did it
 * (a new, rounded object per merge) and as `mergeLive` does (a Map changed in place).
 * `npm run bench:cpu` prints the median CPU time per batch of each (this thread's CPU, as
 * bench/cpu.bench.ts measures); docs/PERFORMANCE.md quotes runs.
 */
import { expect, test } from "vitest";
import { live, mergeDecayed, mergeLive, type DecayedList, type LiveList } from "../durable-objects/items/decayed";
import { percentile } from "./stats";
import { threadCpu } from "./thread-cpu";

const HALF_LIFE = 168 * 3_600_000;
const PRODUCTS = 500;

function lists(): DecayedList[] {
  return Array.from({ length: PRODUCTS }, (_, p) => {
    const e: Record<string, [number, number]> = {};
    for (let k = 0; k < 40; k++) e[`sku-${(p * 31 + k * 7) % PRODUCTS}`] = [1 + ((p * 13 + k * 17) % 50) / 10, 0.5];
    return { t: 1000, e };
  });
}
let seed = 1;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
function batch(): Record<string, [number, number]>[] {
  return Array.from({ length: PRODUCTS }, () => {
    const a: Record<string, [number, number]> = {};
    for (let k = 0; k < 8; k++) a[`sku-${Math.floor(rnd() * PRODUCTS)}`] = [0.5, 0];
    return a;
  });
}

const threadCpuMs = (): number => {
  const u = threadCpu();
  return (u.user + u.system) / 1000;
};

test("one consumer batch into 500 products' neighbour lists: mergeDecayed (before) vs mergeLive (ItemStats now)", () => {
  const copies = lists();
  const maps: LiveList[] = lists().map(live);
  // Rounds of 5 batches per method, so that each sample spans many of the thread clock's 4 ms
  // ticks; the first round warms up. Per batch: a round's CPU / 5.
  const ROUNDS = 6;
  const PER_ROUND = 5;
  const batches = Array.from({ length: ROUNDS * PER_ROUND }, batch);
  const took = { mergeDecayed: [] as number[], mergeLive: [] as number[] };
  for (let r = 0; r < ROUNDS; r++) {
    const round = batches.slice(r * PER_ROUND, (r + 1) * PER_ROUND);
    const at0 = 2000 + r * PER_ROUND * 1000;
    let t0 = threadCpuMs();
    round.forEach((adds, j) => { for (let p = 0; p < PRODUCTS; p++) copies[p] = mergeDecayed(copies[p]!, adds[p]!, at0 + j * 1000, HALF_LIFE, 40); });
    const decayedMs = (threadCpuMs() - t0) / PER_ROUND;
    t0 = threadCpuMs();
    round.forEach((adds, j) => { for (let p = 0; p < PRODUCTS; p++) mergeLive(maps[p]!, adds[p]!, at0 + j * 1000, HALF_LIFE, 40); });
    const liveMs = (threadCpuMs() - t0) / PER_ROUND;
    if (r === 0) continue;
    took.mergeDecayed.push(decayedMs);
    took.mergeLive.push(liveMs);
  }
  // The same lists either way (the unit tests check weights too).
  for (let p = 0; p < PRODUCTS; p++) expect([...maps[p]!.e.keys()].sort()).toEqual(Object.keys(copies[p]!.e).sort());
  const [before, now] = [percentile(took.mergeDecayed, 50), percentile(took.mergeLive, 50)];
  console.log(`[cpu] one consumer batch into 500 neighbour lists: mergeDecayed ${before.toFixed(1)} ms, mergeLive ${now.toFixed(1)} ms of CPU (median of ${ROUNDS - 1} rounds of ${PER_ROUND} batches, after one warm-up round; ${(before / now).toFixed(1)}x)`);
});
