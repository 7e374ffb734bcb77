/**
 * Per-beacon CPU of parse + validate + enrich (the pure part of POST /v1/collect), on realistic
 * beacons of 1, 10 and 50 events, and what a beacon costs around it: the RPC argument's
 * serialisation (structured clone, as records and packed) and the state row's JSON. Writes
 * .bench-dist/cpu.json for bench/main.ts.
 *
 * The figure is CPU time (this thread's, over a loop of beacons, the median of several
 * loops), not wall time: on a shared machine wall time mostly measures the neighbours. The
 * median wall time per beacon (tinybench) is given next to it.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { deserialize, serialize } from "node:v8";
import { expect, test } from "vitest";
import { applyEvent, emptyProfile } from "../durable-objects/profile";
import { packRecords } from "../schemas";
import { parseJson } from "../worker/lib/body";
import { enrichEvents } from "../worker/lib/enrich";
import { checkEventTimes, parseEnvelope, validateEvents } from "../worker/lib/validate";
import { beacon, BENCH_UA } from "./bodies";
import { threadCpu } from "./thread-cpu";

const CF = { country: "DE", region: "Berlin", city: "Berlin", postalCode: "10115", latitude: "52.52", longitude: "13.40", timezone: "Europe/Berlin", continent: "EU", colo: "FRA", asn: 3320, asOrganization: "Deutsche Telekom" };

/** What the collect route does between reading the body and calling the user's object (worker/ingest.ts: schema, time window, enrichment). */
function pipeline(text: string) {
  const receivedMs = Date.now();
  const json = parseJson(text);
  if (!json.ok) throw new Error(json.error);
  const env = parseEnvelope(json.value);
  if (!env.ok) throw new Error(JSON.stringify(env.details));
  const { valid, rejected } = checkEventTimes(env.envelope.sent_at, validateEvents(env.envelope.events), receivedMs, "browser");
  if (rejected.length) throw new Error(JSON.stringify(rejected));
  return enrichEvents(env.envelope, valid.map((v) => v.event), { receivedMs, userAgent: BENCH_UA, cf: CF, scrubParams: [] });
}

/** CPU µs per call: the median of `reps` loops of `n` calls. */
function cpuUs(fn: (i: number) => void, n: number, reps = 7): number {
  for (let i = 0; i < n; i++) fn(i); // warm
  const per: number[] = [];
  for (let r = 0; r < reps; r++) {
    const c0 = threadCpu();
    for (let i = 0; i < n; i++) fn(i);
    const c = threadCpu(c0);
    per.push((c.user + c.system) / n);
  }
  per.sort((a, b) => a - b);
  return per[Math.floor(reps / 2)]!;
}

type Result = { us_per_event: number; us_per_beacon: number; wall_p50_us_per_beacon: number; p99_us_per_beacon: number; samples: number };
const results: Record<string, Result> = {};
const around: Record<string, number> = {};
const write = () => {
  mkdirSync(".bench-dist", { recursive: true });
  writeFileSync(".bench-dist/cpu.json", JSON.stringify({ zod_jit: process.env.BENCH_ZOD_JIT === "1", node: process.version, measure: "CPU time of the benchmark's thread (process.threadCpuUsage), median of 7 loops of beacons", results, around_the_beacon: around }, null, 2));
};
const bodiesOf = (n: number) => Array.from({ length: 512 }, (_, i) => JSON.stringify(beacon({ site: "bench", user: `u-${i}`, events: n, prefix: `b${n}-${i}` })));

for (const n of [1, 10, 50]) {
  test(`parse + validate + enrich, ${n}-event beacon`, async ({ bench }) => {
    const bodies = bodiesOf(n);
    expect(pipeline(bodies[0]!)).toHaveLength(n);
    // The thread's CPU clock advances in scheduler ticks (4 ms here): a loop of 20,000 events
    // (1-event beacons) or at least 800 beacons keeps one tick under 0.2 µs per event.
    const cpu = cpuUs((i) => pipeline(bodies[i & 511]!), Math.max(800, Math.round(20_000 / n)));
    let i = 0;
    const r = await bench(`${n} events`, () => {
      pipeline(bodies[i++ & 511]!);
    }).run({ name: `${n}-event beacon` });
    results[`${n}`] = { us_per_event: cpu / n, us_per_beacon: cpu, wall_p50_us_per_beacon: (r.latency.p50 ?? r.latency.mean) * 1000, p99_us_per_beacon: (r.latency.p99 ?? Number.NaN) * 1000, samples: r.latency.samplesCount ?? 0 };
    write();
  });
}

test("around a 10-event beacon: the RPC argument, the state row", () => {
  const records = pipeline(bodiesOf(10)[0]!);
  const packed = packRecords(records);
  around.rpc_records_bytes = serialize(records).byteLength;
  around.rpc_packed_bytes = serialize(packed).byteLength;
  // Structured clone (the RPC's serialisation) on the sending and on the receiving side.
  around.rpc_records_us = cpuUs(() => deserialize(serialize(records)), 2000);
  around.rpc_packed_us = cpuUs(() => deserialize(serialize(packed)), 2000);
  around.pack_unpack_us = cpuUs(() => packRecords(records), 2000);
  // The state row after 40 events: its JSON once per beacon (written), and once per object lifetime (read).
  const profile = emptyProfile("bench", "u");
  for (let k = 0; k < 4; k++) for (const r of pipeline(bodiesOf(10)[k]!)) applyEvent(profile, r);
  const doc = { v: 2, meta: { site: "bench", id: "u", bot: JSON.stringify({ times: Array.from({ length: 32 }, (_, i) => 1e12 + i * 1000), score: 0, reasons: [] }) }, profile, timers: { session_end: 1, prune: 2 }, seen: [[1, records.map((r) => r.id)]], dups: {}, gen: "abcdefgh", seq: 4, attempt: 0, outbox: [] };
  const text = JSON.stringify(doc);
  around.state_row_bytes = text.length;
  around.state_row_stringify_us = cpuUs(() => JSON.stringify(doc), 2000);
  around.state_row_parse_us = cpuUs(() => JSON.parse(text), 2000);
  around.profile_clone_us = cpuUs(() => structuredClone(profile), 2000);
  write();
});
