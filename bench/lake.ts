/**
 * `npm run bench:lake [-- --events N]`: the lake in both formats over >= 1,000,000 generated
 * stored records (bench/lake-data.ts, one shop's day): gzip NDJSON objects as the queue consumer
 * writes them (2,000 events per object), and one Parquet file per hour written by the
 * compaction's own code (worker/lake/parquet.ts), with its default codec (GZIP) and with SNAPPY.
 * Reports bytes per event of each, the writer's speed, and DuckDB's time for three queries over
 * each format (3 runs each, median reported); checks all formats answer the same.
 * Writes bench/results/lake-<stamp>.json.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync, readdirSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { StoredRecord } from "../schemas";
import { DEFAULT_CODEC, ROW_GROUP_ROWS, toParquet, type ParquetCodec } from "../worker/lake/parquet";
import { generateRecords } from "./lake-data";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const EVENTS = arg("events", 1_000_000);
const OBJECT_EVENTS = 2_000;
const DAY = "2026-11-26";
const log = (s: string) => console.log(`[lake] ${s}`);

/** The NDJSON read as docs/LAKE.md states it (typed columns, not guessed). */
const NDJSON = (root: string) => `read_ndjson('${root}/events/**/*.ndjson.gz', hive_partitioning = true, hive_types = {'dt': 'DATE', 'hr': 'INTEGER'},
  columns = {id: 'VARCHAR', site: 'VARCHAR', type: 'VARCHAR', props: 'JSON', anonymous_id: 'VARCHAR', user_id: 'VARCHAR', identity: 'VARCHAR', session_id: 'VARCHAR',
    client_ts: 'TIMESTAMPTZ', sent_at: 'TIMESTAMPTZ', received_at: 'TIMESTAMPTZ', ts: 'TIMESTAMPTZ',
    page: 'STRUCT(url VARCHAR, path VARCHAR, referrer_host VARCHAR, utm STRUCT(source VARCHAR, medium VARCHAR, campaign VARCHAR, term VARCHAR, content VARCHAR), campaign_params JSON)',
    geo: 'STRUCT(country VARCHAR, region VARCHAR, city VARCHAR, postal_code VARCHAR, latitude DOUBLE, longitude DOUBLE, timezone VARCHAR, continent VARCHAR, colo VARCHAR, asn BIGINT, as_org VARCHAR)',
    ua: 'STRUCT(browser VARCHAR, version VARCHAR, os VARCHAR, device_type VARCHAR)', bot: 'BOOLEAN', locale: 'VARCHAR', timezone: 'VARCHAR', bot_score: 'INTEGER', bot_reasons: 'VARCHAR[]'})`;
const PARQUET = (root: string, dir = "parquet") => `read_parquet('${root}/${dir}/**/*.parquet', hive_partitioning = true, hive_types = {'dt': 'DATE', 'hr': 'INTEGER'})`;
const CODECS: [ParquetCodec, string][] = [[DEFAULT_CODEC, "parquet"], ["SNAPPY", "parquet-snappy"]];

/** The three queries, for each format: the NDJSON reads product ids out of props, Parquet has a column. */
const QUERIES = (src: string, product: string, person: string) => ({
  events_per_type_per_hour: `SELECT hr, type, count(*) AS n FROM ${src} GROUP BY ALL ORDER BY hr, type`,
  top_products_by_views_for_a_day: `SELECT ${product} AS product_id, count(*) AS views FROM ${src} WHERE type = 'product_view' AND dt = DATE '${DAY}' GROUP BY ALL ORDER BY views DESC, product_id LIMIT 20`,
  one_persons_events: `SELECT id, type, ts, ${product} AS product_id FROM ${src} WHERE anonymous_id = '${person}' ORDER BY ts, id`,
});

function sizeOf(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) {
      bytes += statSync(join(e.parentPath, e.name)).size;
      files++;
    }
  }
  return { bytes, files };
}

async function main() {
  const root = mkdtempSync(join(os.tmpdir(), "lake-bench-"));
  log(`generating ${EVENTS.toLocaleString("en")} records for ${DAY} under ${root}`);
  const perPerson = new Map<string, number>();
  let ndjsonMs = 0;
  const parquetMs: Record<string, number> = {};
  let hour: StoredRecord[] = [];
  let hourKey = "";
  let parquetHeapMb = 0;
  const flushHour = () => {
    if (!hour.length) return;
    const [dt, hr] = [hourKey.slice(0, 10), hourKey.slice(11, 13)];
    const ev = join(root, "events", "site=demo", `dt=${dt}`, `hr=${hr}`);
    mkdirSync(ev, { recursive: true });
    let t = performance.now();
    for (let i = 0; i < hour.length; i += OBJECT_EVENTS) {
      const text = hour.slice(i, i + OBJECT_EVENTS).map((r) => JSON.stringify(r)).join("\n") + "\n";
      writeFileSync(join(ev, `${String(i / OBJECT_EVENTS).padStart(4, "0")}.ndjson.gz`), gzipSync(text));
    }
    ndjsonMs += performance.now() - t;
    for (const [codec, dir] of CODECS) {
      const pq = join(root, dir, "site=demo", `dt=${dt}`, `hr=${hr}`);
      mkdirSync(pq, { recursive: true });
      t = performance.now();
      const heap = process.memoryUsage().heapUsed;
      // As the compaction does: sorted by ts, then id.
      const sorted = [...hour].sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : a.id < b.id ? -1 : 1));
      const bytes = toParquet(sorted, { codec, metadata: { "edge-collector.generation": "000001" } });
      if (codec === DEFAULT_CODEC) parquetHeapMb = Math.max(parquetHeapMb, (process.memoryUsage().heapUsed - heap) / 1e6);
      writeFileSync(join(pq, "000001.parquet"), bytes);
      parquetMs[dir] = (parquetMs[dir] ?? 0) + performance.now() - t;
    }
    hour = [];
  };
  for (const r of generateRecords({ events: EVENTS, day: DAY, visitors: 20_000, products: 5_000 })) {
    const k = r.received_at.slice(0, 13);
    if (k !== hourKey) {
      flushHour();
      hourKey = k;
    }
    hour.push(r);
    perPerson.set(r.anonymous_id, (perPerson.get(r.anonymous_id) ?? 0) + 1);
  }
  flushHour();
  const person = [...perPerson.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]!;
  const nd = sizeOf(join(root, "events"));
  log(`NDJSON ${nd.bytes.toLocaleString("en")} B in ${nd.files} objects (${(nd.bytes / EVENTS).toFixed(1)} B/event), written in ${(ndjsonMs / 1000).toFixed(1)} s`);
  const pqSizes: Record<string, { bytes: number; files: number; bytes_per_event: number; vs_ndjson_gzip: number; write_s: number; write_events_per_s: number }> = {};
  for (const [codec, dir] of CODECS) {
    const pq = sizeOf(join(root, dir));
    const ms = parquetMs[dir]!;
    pqSizes[dir] = { bytes: pq.bytes, files: pq.files, bytes_per_event: Math.round((pq.bytes / EVENTS) * 10) / 10, vs_ndjson_gzip: Math.round((pq.bytes / nd.bytes) * 1000) / 1000, write_s: Math.round(ms) / 1000, write_events_per_s: Math.round(EVENTS / (ms / 1000)) };
    log(`Parquet ${codec} ${pq.bytes.toLocaleString("en")} B in ${pq.files} files (${(pq.bytes / EVENTS).toFixed(1)} B/event), written in ${(ms / 1000).toFixed(1)} s (${Math.round(EVENTS / (ms / 1000)).toLocaleString("en")} events/s)`);
  }

  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  const duckdbVersion = String((await conn.runAndReadAll("SELECT version() AS v")).getRowObjectsJS()[0]!.v);
  const formats = {
    ndjson_gzip: QUERIES(NDJSON(root), "props->>'$.product_id'", person[0]),
    parquet: QUERIES(PARQUET(root), "product_id", person[0]),
    parquet_snappy: QUERIES(PARQUET(root, "parquet-snappy"), "product_id", person[0]),
  };
  const times: Record<string, Record<string, { runs_ms: number[]; median_ms: number; rows: number }>> = {};
  const answers: Record<string, Record<string, string>> = {};
  for (const [format, queries] of Object.entries(formats)) {
    times[format] = {};
    answers[format] = {};
    for (const [name, sql] of Object.entries(queries)) {
      const runs: number[] = [];
      let rows: Record<string, unknown>[] = [];
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        rows = (await conn.runAndReadAll(sql)).getRowObjectsJS();
        runs.push(Math.round((performance.now() - t) * 10) / 10);
      }
      const median = [...runs].sort((a, b) => a - b)[1]!;
      times[format]![name] = { runs_ms: runs, median_ms: median, rows: rows.length };
      answers[format]![name] = JSON.stringify(rows, (_, v) => (typeof v === "bigint" ? Number(v) : v));
      log(`${format.padEnd(11)} ${name.padEnd(32)} median ${median} ms (runs ${runs.join(", ")}), ${rows.length} rows`);
    }
  }
  conn.closeSync();
  db.closeSync();
  const same = Object.keys(formats.parquet).every((q) => answers.parquet![q] === answers.ndjson_gzip![q] && answers.parquet_snappy![q] === answers.ndjson_gzip![q]);
  log(`all formats give the same answers: ${same}`);

  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const result = {
    kind: "lake",
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memory_gb: Math.round(os.totalmem() / 1e9), node: process.version, duckdb: duckdbVersion },
    params: { events: EVENTS, day: DAY, visitors: 20_000, products: 5_000, ndjson_events_per_object: OBJECT_EVENTS, ndjson_gzip_level: 6, parquet_files: "one per hour", parquet_row_group_rows: ROW_GROUP_ROWS, parquet_default_codec: DEFAULT_CODEC, parquet_timestamps: "DELTA_BINARY_PACKED" },
    person: { anonymous_id: person[0], events: person[1] },
    sizes: {
      ndjson_gzip: { bytes: nd.bytes, objects: nd.files, bytes_per_event: Math.round((nd.bytes / EVENTS) * 10) / 10 },
      ...pqSizes,
    },
    write: { ndjson_gzip_s: Math.round(ndjsonMs) / 1000, parquet_peak_heap_mb_per_hour_file: Math.round(parquetHeapMb) },
    queries: { sql: { ndjson_gzip: formats.ndjson_gzip, parquet: formats.parquet }, times, same_answers: same },
  };
  mkdirSync(join(process.cwd(), "bench", "results"), { recursive: true });
  const file = join(process.cwd(), "bench", "results", `lake-${stamp}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + "\n");
  log(`wrote ${file}`);
  rmSync(root, { recursive: true, force: true });
  if (!same) process.exit(1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
