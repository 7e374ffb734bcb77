/**
 * A batch of metric changes: site -> minute (epoch minutes, UTC) -> row. Built where traffic is
 * already batched (an isolate's few seconds of requests, a flush, a consumer batch) and sent as
 * one write per (site, hour) to that hour's stats object. Pure.
 */
import { hourOfMinute, mergeInto, minuteOf, type Tree } from "../../durable-objects/lib/metric-tree";


export class Delta {
  readonly sites = new Map<string, Map<number, Tree>>();

  /** The row of a site at a time (ms), created empty. */
  row(site: string, atMs: number): Tree {
    return this.rowAt(site, minuteOf(atMs));
  }

  rowAt(site: string, minute: number): Tree {
    let m = this.sites.get(site);
    if (!m) this.sites.set(site, (m = new Map()));
    let r = m.get(minute);
    if (!r) m.set(minute, (r = {}));
    return r;
  }

  /** Adds rows keyed by minute (as a stats message or an RPC carries them). */
  addRows(site: string, rows: Record<string, Tree>): this {
    for (const [minute, row] of Object.entries(rows)) {
      const m = Number(minute);
      if (Number.isSafeInteger(m)) mergeInto(this.rowAt(site, m), row);
    }
    return this;
  }

  merge(other: Delta): this {
    for (const [site, m] of other.sites) for (const [minute, row] of m) mergeInto(this.rowAt(site, minute), row);
    return this;
  }

  isEmpty(): boolean {
    for (const m of this.sites.values()) for (const r of m.values()) if (Object.keys(r).length) return false;
    return true;
  }

  /** One group per (site, hour): what each stats object receives. */
  byHour(): { site: string; hour: number; rows: Record<string, Tree> }[] {
    const out = new Map<string, { site: string; hour: number; rows: Record<string, Tree> }>();
    for (const [site, m] of this.sites) {
      for (const [minute, row] of m) {
        if (!Object.keys(row).length) continue;
        const hour = hourOfMinute(minute);
        const k = `${site}\u0000${hour}`;
        let g = out.get(k);
        if (!g) out.set(k, (g = { site, hour, rows: {} }));
        g.rows[String(minute)] = row;
      }
    }
    return [...out.values()];
  }
}
