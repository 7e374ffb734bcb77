/**
 * Workers Analytics Engine data points from a metrics delta, one per (site, metric, label):
 *   index1 = site, blob1 = metric, blob2 = label (event type, reason, status class, or the
 *   sketch bucket), double1 = count (or sum), double2 = the bucket's value in ms (sketches only).
 * Queries are in docs/OBSERVABILITY.md. Pure; the caller writes them.
 */
import type { Delta } from "./delta";
import { bucketValue } from "./sketch";
import type { Tree } from "../../durable-objects/lib/metric-tree";

/** Workers accept at most 250 writeDataPoint calls per invocation. */
export const MAX_POINTS = 250;

export interface DataPoint {
  indexes: [string];
  blobs: [string, string];
  doubles: [number, number];
}

const SKETCH = /_ms$/;

export function dataPoints(delta: Delta): DataPoint[] {
  // Sum the minutes of each site first: one point per (site, metric, label) per write.
  const bySite = new Map<string, Map<string, DataPoint>>();
  for (const [site, minutes] of delta.sites) {
    let points = bySite.get(site);
    if (!points) bySite.set(site, (points = new Map()));
    for (const row of minutes.values()) addRow(points, site, row);
  }
  return [...bySite.values()].flatMap((m) => [...m.values()]).slice(0, MAX_POINTS);
}

function addRow(points: Map<string, DataPoint>, site: string, row: Tree): void {
  const add = (metric: string, label: string, count: number, value: number) => {
    const k = `${metric}\u0000${label}`;
    const p = points.get(k);
    if (p) p.doubles[0] += count;
    else points.set(k, { indexes: [site.slice(0, 96)], blobs: [metric, label], doubles: [count, value] });
  };
  for (const [metric, v] of Object.entries(row)) {
    if (typeof v === "number") add(metric, "", v, 0);
    else for (const [label, c] of Object.entries(v)) if (typeof c === "number") add(metric, label, c, SKETCH.test(metric) ? Math.round(bucketValue(Number(label)) * 10) / 10 : 0);
  }
}
