/**
 * Per-event CPU of parse + validate + enrich (the pure part of POST /v1/collect), on realistic
 * beacons of 1, 10 and 50 events. Writes µs per event to .bench-dist/cpu.json for bench/main.ts.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { expect, test } from "vitest";
import { parseJson } from "../worker/lib/body";
import { enrichEvents } from "../worker/lib/enrich";
import { parseEnvelope, validateEvents } from "../worker/lib/validate";
import { beacon, BENCH_UA } from "./bodies";

const CF = { country: "DE", region: "Berlin", city: "Berlin", postalCode: "10115", latitude: "52.52", longitude: "13.40", timezone: "Europe/Berlin", continent: "EU", colo: "FRA", asn: 3320, asOrganization: "Deutsche Telekom" };

/** What the collect route does between reading the body and calling the user's object. */
function pipeline(text: string) {
  const json = parseJson(text);
  if (!json.ok) throw new Error(json.error);
  const env = parseEnvelope(json.value);
  if (!env.ok) throw new Error(JSON.stringify(env.details));
  const { valid, rejected } = validateEvents(env.envelope.events);
  if (rejected.length) throw new Error(JSON.stringify(rejected));
  return enrichEvents(env.envelope, valid.map((v) => v.event), { receivedMs: Date.now(), userAgent: BENCH_UA, cf: CF, scrubParams: [] });
}

const results: Record<string, { us_per_event: number; us_per_beacon: number; p99_us_per_beacon: number; samples: number }> = {};

for (const n of [1, 10, 50]) {
  test(`parse + validate + enrich, ${n}-event beacon`, async ({ bench }) => {
    // Many distinct bodies (ids, users), as the worker sees them; one user agent, as a site's traffic mostly has few.
    const bodies = Array.from({ length: 512 }, (_, i) => JSON.stringify(beacon({ site: "bench", user: `u-${i}`, events: n, prefix: `b${n}-${i}` })));
    expect(pipeline(bodies[0]!)).toHaveLength(n);
    let i = 0;
    const r = await bench(`${n} events`, () => {
      pipeline(bodies[i++ & 511]!);
    }).run({ name: `${n}-event beacon` });
    const beaconMs = r.latency.p50 ?? r.latency.mean;
    results[`${n}`] = { us_per_event: (beaconMs * 1000) / n, us_per_beacon: beaconMs * 1000, p99_us_per_beacon: (r.latency.p99 ?? Number.NaN) * 1000, samples: r.latency.samplesCount ?? 0 };
    mkdirSync(".bench-dist", { recursive: true });
    writeFileSync(".bench-dist/cpu.json", JSON.stringify({ zod_jit: process.env.BENCH_ZOD_JIT === "1", node: process.version, results }, null, 2));
  });
}
