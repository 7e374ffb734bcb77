/**
 * What ItemStats spends merging one consumer batch into its products' neighbour lists: 500
 * products with 40 neighbours each, 8 new neighbours per product, as `mergeDecayed` did it
 * (a new, rounded object per merge) and as `mergeLive` does (a Map changed in place).
 * `npm run bench:cpu` prints the median CPU time of each over 15 batches (this thread's CPU,
 * as bench/cpu.bench.ts measures); docs/PERFORMANCE.md quotes a run.
 */
import { expect, test } from "vitest";
import { live, mergeDecayed, mergeLive, type DecayedList, type LiveList } from "../durable-objects/items/decayed";

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
  const p = process as unknown as { threadCpuUsage?: () => NodeJS.CpuUsage };
  const u = p.threadCpuUsage ? p.threadCpuUsage() : process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

test("one consumer batch into 500 products' neighbour lists: mergeDecayed (before) vs mergeLive (ItemStats now)", () => {
  const copies = lists();
  const maps: LiveList[] = lists().map(live);
  const batches = Array.from({ length: 20 }, batch);
  const took = { mergeDecayed: [] as number[], mergeLive: [] as number[] };
  for (let r = 0; r < batches.length; r++) {
    const adds = batches[r]!;
    const at = 2000 + r * 1000;
    let t0 = threadCpuMs();
    for (let p = 0; p < PRODUCTS; p++) copies[p] = mergeDecayed(copies[p]!, adds[p]!, at, HALF_LIFE, 40);
    took.mergeDecayed.push(threadCpuMs() - t0);
    t0 = threadCpuMs();
    for (let p = 0; p < PRODUCTS; p++) mergeLive(maps[p]!, adds[p]!, at, HALF_LIFE, 40);
    took.mergeLive.push(threadCpuMs() - t0);
  }
  // The same lists either way (the unit tests check weights too).
  for (let p = 0; p < PRODUCTS; p++) expect([...maps[p]!.e.keys()].sort()).toEqual(Object.keys(copies[p]!.e).sort());
  const [before, now] = [median(took.mergeDecayed.slice(5)), median(took.mergeLive.slice(5))];
  console.log(`[cpu] one consumer batch into 500 neighbour lists: mergeDecayed ${before.toFixed(1)} ms, mergeLive ${now.toFixed(1)} ms of CPU (median of 15 batches after 5 warm-up; ${(before / now).toFixed(1)}x)`);
});
