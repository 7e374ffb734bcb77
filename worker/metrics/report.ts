/**
 * Sends a metrics delta where it is kept: one RPC per (site, hour) to that hour's SiteStats
 * object (the collector's own 24 h+ window), and data points to Workers Analytics Engine.
 * Failures are logged and dropped: metrics never hold up or fail the data path.
 */
import type { TailEntry } from "../../durable-objects/site-stats";
import { log } from "../../durable-objects/lib/log";
import { dataPoints } from "./ae";
import type { Delta } from "./delta";

export function statsStub(env: Env, site: string, hour: number) {
  return env.STATS.get(env.STATS.idFromName(`${site}:${hour}`));
}

export async function report(env: Env, delta: Delta, tails: Map<string, TailEntry[]> = new Map(), nowMs = Date.now()): Promise<void> {
  if (delta.isEmpty() && tails.size === 0) return;
  if (env.METRICS) {
    try {
      for (const p of dataPoints(delta)) env.METRICS.writeDataPoint(p);
    } catch (e) {
      log("analytics engine write failed", { error: (e as Error).message });
    }
  }
  const groups = delta.byHour();
  const nowHour = Math.floor(nowMs / 3_600_000);
  // The live tail goes to the current hour's object, with or without rows.
  for (const [site, entries] of tails) if (entries.length && !groups.some((g) => g.site === site && g.hour === nowHour)) groups.push({ site, hour: nowHour, rows: {} });
  await Promise.all(
    groups.map(async (g) => {
      try {
        await statsStub(env, g.site, g.hour).add(g.hour, g.rows, g.hour === nowHour ? (tails.get(g.site) ?? []) : []);
      } catch (e) {
        log("stats write failed", { site: g.site, hour: g.hour, error: (e as Error).message });
      }
    }),
  );
}
