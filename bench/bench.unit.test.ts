/** Unit tests of the bench's pure parts: cost model, statistics, beacons, report. */
import { describe, expect, it } from "vitest";
import { eventSchema, envelopeSchema } from "../schemas";
import { beacon, pickUser } from "./bodies";
import { diffCounters, emptyCounters, measuredCost, naiveCost, PRICES, queueOps, tableOf } from "./cost";
import { Mix, pick } from "./mix";
import { computeTargets } from "./targets";
import { spliceGenerated, spliceRecs, svg } from "./report";
import { bracketedChange, INGEST_FIXED_RATE_RUNS, INGEST_RUNS, INGEST_WARMUP, percentile, summary } from "./stats";
import { newChild } from "./proc";

describe("cost model", () => {
  it("counts one queue operation per started 64 KB", () => {
    expect(queueOps(0)).toBe(1);
    expect(queueOps(64_000)).toBe(1);
    expect(queueOps(64_001)).toBe(2);
    expect(queueOps(128_001)).toBe(3);
  });

  it("prices counted operations per million events", () => {
    const c = { ...emptyCounters(), worker_requests: 100_000, queue_batches: 10, profile_requests: 100_000, profile_alarms: 20_000, ledger_requests: 200, queue_messages: 20_000, queue_ops: 20_000, r2_puts: 100, profile_rows_written: 5_000_000 };
    const m = measuredCost(c, 1_000_000);
    const want = (100_010 * PRICES.worker_request + 120_200 * PRICES.do_request + 60_000 * PRICES.queue_op + 100 * PRICES.r2_class_a);
    expect(m.ops_usd_per_million).toBeCloseTo(want, 9);
    expect(m.with_storage_usd_per_million).toBeCloseTo(want + 5_000_000 * PRICES.do_row_written, 9);
    expect(m.lines.reduce((s, l) => s + l.per_million_events, 0)).toBeCloseTo(m.with_storage_usd_per_million, 9);
  });

  it("naive design: one object request and three queue operations per event", () => {
    const n = naiveCost(100_000, 1_000_000);
    // 0.15 (DO) + 1.20 (queue) + 0.03 + 0.003 (worker) + 0.045 (R2 per 100 events)
    expect(n.ops_usd_per_million).toBeCloseTo(0.15 + 3 * 0.4 + (100_000 + 10_000) * 0.3e-6 + 10_000 * 4.5e-6, 6);
  });

  it("diffs counters field by field, rows by table too", () => {
    const a = { ...emptyCounters(), r2_puts: 5, queue_ops: 7, rows_by_table: { "user.state": 4, "ledger.parts": 2 } };
    const b = { ...emptyCounters(), r2_puts: 2, queue_ops: 7, rows_by_table: { "user.state": 1, "ledger.parts": 2 } };
    expect(diffCounters(a, b)).toEqual({ ...emptyCounters(), r2_puts: 3, rows_by_table: { "user.state": 3 } });
  });

  it("names the table a statement writes", () => {
    expect(tableOf("INSERT OR IGNORE INTO seen (id, at) VALUES (?, ?)")).toBe("seen");
    expect(tableOf("  UPDATE buffer SET chunk = ?")).toBe("buffer");
    expect(tableOf("DELETE FROM timers WHERE name = ?")).toBe("timers");
    expect(tableOf("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY)")).toBe("schema");
    expect(tableOf("SELECT 1")).toBe("other");
  });
});

describe("statistics", () => {
  it("nearest-rank percentiles", () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    expect(summary([3, 1, 2])).toEqual({ n: 3, p50: 2, p99: 3, max: 3 });
  });
});

describe("bench beacons", () => {
  it("are valid envelopes whose events all pass the schema, with unique ids", () => {
    for (const n of [1, 10, 50]) {
      const b = beacon({ site: "bench", user: "u-1", events: n, prefix: `p${n}` });
      const env = envelopeSchema.parse(b);
      const ids = new Set<string>();
      for (const e of env.events) {
        expect(eventSchema.safeParse(e).success).toBe(true);
        ids.add((e as { id: string }).id);
      }
      expect(ids.size).toBe(n);
    }
  });

  it("picks among a few hot users, or among many distinct ones", () => {
    expect(new Set(Array.from({ length: 100 }, (_, i) => pickUser({ users: 8 }, i))).size).toBe(8);
    let k = 0;
    const rand = () => (k++ % 1000) / 1000;
    expect(new Set(Array.from({ length: 1000 }, (_, i) => pickUser({ users: 100_000 }, i, rand))).size).toBe(1000);
  });
});

describe("the realistic mix", () => {
  const seeded = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const opts = { site: "mix", runId: "t", minGapMs: 5000, returning: 0.3, idleMs: 15_000, serverShare: 0.05, serverKey: "k-12345678", customers: 100 };

  it("draws 1-8 with the given weights (median 3 events per beacon)", () => {
    const r = seeded(7);
    const xs = Array.from({ length: 5000 }, () => pick([0.15, 0.2, 0.2, 0.15, 0.1, 0.08, 0.07, 0.05], r()));
    expect(Math.min(...xs)).toBe(1);
    expect(Math.max(...xs)).toBe(8);
    expect(percentile(xs, 50)).toBe(3);
  });

  it("sends a session's next beacon only after the gap, starts sessions meanwhile, brings idle visitors back", () => {
    const mix = new Mix(opts, seeded(3));
    const lastBy = new Map<string, number>();
    const kinds: Record<string, number> = {};
    for (let now = 0; now < 120_000; now += 10) {
      const r = mix.next(now);
      kinds[r.visitor ?? r.kind] = (kinds[r.visitor ?? r.kind] ?? 0) + 1;
      if (r.kind === "server") {
        const b = JSON.parse(r.body) as { batch: { userId: string }[] };
        expect(b.batch.length).toBeGreaterThanOrEqual(10);
        expect(r.path).toBe("/v1/batch");
        continue;
      }
      const b = JSON.parse(r.body) as { anonymous_id: string; session_id: string; events: { id: string }[] };
      expect(envelopeSchema.safeParse(b).success).toBe(true);
      for (const e of b.events) expect(eventSchema.safeParse(e).success).toBe(true);
      if (r.visitor === "session") expect(now - lastBy.get(b.session_id)!).toBeGreaterThanOrEqual(5000);
      lastBy.set(b.session_id, now);
    }
    expect(kinds.new).toBeGreaterThan(0);
    expect(kinds.returning).toBeGreaterThan(0);
    expect(kinds.session).toBeGreaterThan(kinds.new!);
    expect(kinds.server! / 12_000).toBeCloseTo(0.05, 1);
  });
});

describe("targets", () => {
  it("are NaN and not met when their phase did not run", () => {
    const t = computeTargets({ phases: [], floor: [], mix: null, cpu: null, freshness: null });
    expect(Object.keys(t)).toEqual(["mix_cost_vs_naive", "mix_rows_per_event", "floor_ratio_hot", "floor_ratio_100k", "p99_vs_floor", "cpu_us_per_event", "cpu_us_1_event_beacon"]);
    for (const x of Object.values(t)) expect(x).toMatchObject({ value: NaN, met: false });
  });
});

describe("report", () => {
  it("puts a recs-only run's section and target rows into the generated block, leaving the rest", () => {
    const load = (rps: number, p99: number) => ({ ok: 1, non2xx: 0, errors: 0, timeouts: 0, seconds: 10, rps, events_per_s: 0, latency_ms: { p50: 1, p90: 2, p99, mean: 1.5, max: 9 }, status: {} });
    const cost = { with_storage_usd_per_million: 0.5 } as never;
    const recs = {
      ingest: [], ingest_rps: { on: 1, off: 1, change: 0, pairs: [] },
      read: { users: 1000, load: load(600, 150), ceiling: load(2000, 60), ratio_rps: 0.3, ratio_p99: 2.5, cost, strategies: {} },
      read_sweep: [{ connections: 1, load: load(400, 8), ceiling: load(1500, 2), floor: load(800, 5), ratio_rps: 0.27, rpcs: { user: 1, item_reads: 0.01, trend_reads: 0 } }],
      targets: { recs_p99: { target: "p99 <= 25 ms", value: "150 ms (ceiling 60 ms)", met: false } },
    };
    const doc = ["# Perf", "<!-- bench:begin (generated by npm run bench) -->", "| key | target | measured | met |", "| `recs_p99` | p99 <= 25 ms | 452 ms | **no** |", "| `other` | x | 1 | yes |", "", "### Recommendations and site-wide item statistics", "", "old table", "", "### Cost per million", "", "cost table", "<!-- bench:end -->", "outro"].join("\n");
    const out = spliceRecs(doc, recs as never, { date: "2026-12-01T10:00:00Z", command: "npm run bench -- --only recs", loadavg: [1, 2, 3] });
    expect(out).not.toContain("old table");
    expect(out).not.toContain("452 ms");
    expect(out).toContain("| `recs_p99` | p99 <= 25 ms | 150 ms (ceiling 60 ms) (--only recs, 2026-12-01) | **no** |");
    expect(out).toContain("| `other` | x | 1 | yes |");
    expect(out).toContain("load average 1.0 / 2.0 / 3.0");
    expect(out).toMatch(/\| 1 \| 400 \| 1.50 \| 1 \| 8 \| 1,500, 1.50, 2 \| 800, 1.50, 5 \| 27% \| 50% \| 1.00, 0.01, 0.00 \|/);
    expect(out.indexOf("### Cost per million")).toBeGreaterThan(out.indexOf("400"));
    expect(out).toContain("cost table\n<!-- bench:end -->\noutro");
    expect(spliceRecs("# no block", recs as never, { date: "d", command: "c", loadavg: [0] })).toBe("# no block");
  });

  it("replaces only the generated block of the document", () => {
    const doc = "# Perf\n\nintro\n\n<!-- bench:begin (generated by npm run bench) -->\nold\n<!-- bench:end -->\n\noutro\n";
    const out = spliceGenerated(doc, "new");
    expect(out).toContain("intro");
    expect(out).toContain("outro");
    expect(out).toContain("\nnew\n");
    expect(out).not.toContain("old");
    expect(spliceGenerated("# Perf\n", "x")).toContain("<!-- bench:end -->");
  });

  it("draws one bar per phase", () => {
    const load = { ok: 1, non2xx: 0, errors: 0, timeouts: 0, seconds: 1, rps: 1, events_per_s: 1, latency_ms: { p50: 1, p90: 1, p99: 1, mean: 1, max: 1 }, status: {} };
    const s = svg({ phases: [{ events: 10, users: 8, users_label: "8 hot users", load, ceiling: load, ratio_rps: 0.5, ratio_p99: 1 }], floor: [{ users: 8, users_label: "8 hot users", load: { ...load, rps: 2 }, ratio_rps: 1 }] });
    expect(s.match(/<rect /g)).toHaveLength(3);
    expect(s).toContain("50%");
  });
});

describe("statistics on/off runs", () => {
  it("compares each 'on' run with the mean of the 'off' runs around it; a linear drift cancels", () => {
    // "off" drifts up 200 -> 260; each "on" is 10% under the mean of its neighbours (a plain pairing with the run before would say -5.5%).
    const { pairs, change } = bracketedChange([200, 189, 220, 207, 240, 225, 260]);
    expect(pairs.map((x) => Math.round(x * 1000) / 1000)).toEqual([-0.1, -0.1, -0.1]);
    expect(change).toBeCloseTo(-0.1, 6);
    expect(bracketedChange([100, 150, 100]).change).toBeCloseTo(0.5, 6);
    expect(bracketedChange([100]).pairs).toEqual([]);
    // Centre "off" (on, off, on, ...): the "on" runs around each "off" run against it.
    expect(bracketedChange([110, 100, 112, 100, 114], "off").pairs.map((x) => Math.round(x * 1000) / 1000)).toEqual([0.11, 0.13]);
  });
});

describe("ingest runs, statistics on and off", () => {
  it("warm each collector up once, then alternate, never twice in a row on one collector, an odd count of runs at full speed and at a fixed rate", () => {
    expect(INGEST_WARMUP).toEqual(["off", "on"]);
    expect(INGEST_RUNS[0]).toBe("off");
    const all = [...INGEST_WARMUP, ...INGEST_RUNS, ...INGEST_FIXED_RATE_RUNS];
    all.forEach((s, i) => i > 0 && expect(s, `run ${i}`).not.toBe(all[i - 1])); // never twice in a row on one collector
    expect(INGEST_RUNS.length % 2).toBe(1);
    expect(INGEST_FIXED_RATE_RUNS.length % 2).toBe(1);
    expect(bracketedChange(INGEST_RUNS.map((s) => (s === "on" ? 90 : 100))).pairs).toHaveLength(4);
    // Of four pairs the median is the mean of the middle two, not the lower one.
    expect(bracketedChange([100, 91.3, 100, 101.2, 100, 103.3, 100, 100.8, 100]).change).toBeCloseTo(0.01, 6);
  });
  it("tells a collector's workerd only when exactly one child process appeared", () => {
    expect(newChild(new Set([1, 2]), new Set([1, 2, 7]))).toBe(7);
    expect(newChild(new Set([1]), new Set([1, 7, 8]))).toBeNull();
    expect(newChild(new Set([1]), new Set([1]))).toBeNull();
    expect(newChild(null, new Set([7]))).toBeNull();
  });
});
