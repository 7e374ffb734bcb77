/**
 * The Parquet lake as a data team reads it: known traffic (every event type, client-retried
 * duplicates, events that arrive after their hour was compacted) through a running collector,
 * compaction through POST /v1/admin/lake/compact (twice, then again after the late events), the
 * objects downloaded with ?raw=1, and DuckDB's read_parquet(..., hive_partitioning = true)
 * returning exactly the rows of the NDJSON, with the column types docs/LAKE.md documents.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../test/eventually";
import { ADMIN_TOKEN, startCollector, type Collector } from "./support/collector";

/** The documented column types (docs/LAKE.md, "Parquet columns"). */
const PARQUET_TYPES: Record<string, string> = {
  id: "VARCHAR", site: "VARCHAR", type: "VARCHAR", props: "JSON",
  product_id: "VARCHAR", category: "VARCHAR", price: "DOUBLE", currency: "VARCHAR", quantity: "INTEGER", revenue: "DOUBLE", order_id: "VARCHAR", query: "VARCHAR",
  anonymous_id: "VARCHAR", user_id: "VARCHAR", identity: "VARCHAR", session_id: "VARCHAR",
  client_ts: "TIMESTAMP WITH TIME ZONE", sent_at: "TIMESTAMP WITH TIME ZONE", received_at: "TIMESTAMP WITH TIME ZONE", ts: "TIMESTAMP WITH TIME ZONE",
  page: 'STRUCT(url VARCHAR, path VARCHAR, referrer_host VARCHAR, utm STRUCT("source" VARCHAR, medium VARCHAR, campaign VARCHAR, term VARCHAR, "content" VARCHAR), campaign_params JSON)',
  geo: "STRUCT(country VARCHAR, region VARCHAR, city VARCHAR, postal_code VARCHAR, latitude DOUBLE, longitude DOUBLE, timezone VARCHAR, continent VARCHAR, colo VARCHAR, asn BIGINT, as_org VARCHAR)",
  ua: "STRUCT(browser VARCHAR, \"version\" VARCHAR, os VARCHAR, device_type VARCHAR)",
  bot: "BOOLEAN", locale: "VARCHAR", timezone: "VARCHAR", bot_score: "INTEGER", bot_reasons: "VARCHAR[]",
  dt: "DATE", hr: "INTEGER",
};
const COMMERCE = ["product_id", "category", "price", "currency", "quantity", "revenue", "order_id", "query"];
const READ = (root: string) => `read_parquet('${root}/parquet/**/*.parquet', hive_partitioning = true, hive_types = {'dt': 'DATE', 'hr': 'INTEGER'})`;

let collector: Collector;
let dir: string;
beforeAll(async () => {
  // Short timers, so the collector also makes session_end and cart_abandoned events.
  const SITES = JSON.stringify({ demo: { origins: ["http://localhost:*", "http://127.0.0.1:*"], browser_key: "demo-browser-key", session_timeout_seconds: 2, cart_abandon_seconds: 1 } });
  collector = await startCollector({ vars: { SITES } });
  dir = await mkdtemp(join(tmpdir(), "collector-parquet-"));
});
afterAll(async () => {
  await collector?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const CLIENT_EVENTS: [string, Record<string, unknown>][] = [
  ["page_view", { url: "https://shop.example/p/sku-1", title: "Blue shoe", path: "/p/sku-1" }],
  ["product_view", { product_id: "sku-1", category: "shoes", brand: "Acme", price: 59.9, currency: "EUR" }],
  ["product_click", { product_id: "sku-2", category: "shoes", position: 3, list: "home" }],
  ["add_to_cart", { product_id: "sku-1", quantity: 2, price: 59.9, currency: "EUR" }],
  ["remove_from_cart", { product_id: "sku-1", quantity: 1 }],
  ["purchase", { order_id: "o-1", revenue: 59.9, currency: "EUR", items: [{ product_id: "sku-1", quantity: 1, price: 59.9 }] }],
  ["search", { query: "blue shoes", results_count: 12 }],
  ["scroll_depth", { percent: 75 }],
  ["engagement", { active_ms: 12000, visible_ms: 30000 }],
  ["form_submit", { form_id: "newsletter" }],
  ["click", { selector: "a.buy", text: "Buy", href: "/cart" }],
  ["custom", { name: "Signed Up", properties: { plan: "pro", seats: 3, trial: true } }],
  ["identify", { user_id: "u-parquet" }],
];

async function beacon(anonymousId: string, events: { id: string; type: string; props: Record<string, unknown> }[], userId?: string) {
  const now = new Date().toISOString();
  const body = {
    site: "demo", anonymous_id: anonymousId, ...(userId ? { user_id: userId } : {}), session_id: `s-${anonymousId}`, sent_at: now,
    context: { page_url: "https://shop.example/p/sku-1?utm_source=news&utm_campaign=winter&gclid=abc", referrer: "https://www.google.com/", locale: "en-GB", timezone: "Europe/London" },
    events: events.map((e) => ({ ...e, ts: now })),
  };
  const send = () => fetch(`${collector.url}/v1/collect`, { method: "POST", headers: { "content-type": "text/plain", "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36" }, body: JSON.stringify(body) });
  const first = await send();
  expect(first.status).toBe(202);
  // The client retries the same beacon (its first answer was lost): all duplicates.
  const retry = await send();
  expect(await retry.json()).toMatchObject({ accepted: 0, duplicates: events.length });
  return body;
}

async function compact(p: { site: string; dt: string; hr: string }) {
  const res = await fetch(`${collector.url}/v1/admin/lake/compact`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" }, body: JSON.stringify(p) });
  expect(res.status).toBe(200);
  return (await res.json()) as { generation: string | null; objects: number; events: number };
}

/** Every stored record of the NDJSON objects, and the partitions they are in. */
async function ndjson(api: Collector) {
  const records: Record<string, any>[] = [];
  const partitions = new Map<string, { site: string; dt: string; hr: string }>();
  for (const o of await api.lakeList("events/site=demo/")) {
    const m = /^events\/site=([^/]+)\/dt=([^/]+)\/hr=([^/]+)\//.exec(o.key)!;
    partitions.set(m.slice(1).join("/"), { site: m[1]!, dt: m[2]!, hr: m[3]! });
    records.push(...gunzipSync(await api.lakeRaw(o.key)).toString("utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)));
  }
  return { records, partitions: [...partitions.values()] };
}

const ms = (v: unknown) => (v instanceof Date ? v.getTime() : v === null ? null : Date.parse(String(v)));
const json = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v);
const num = (v: unknown) => (typeof v === "bigint" ? Number(v) : v);

describe("Parquet lake with DuckDB", () => {
  it("compaction gives exactly the NDJSON's rows, typed, once, with late events in a later generation", async () => {
    const api = collector;
    const anon = `pq-${randomUUID()}`;
    const ids: string[] = [];
    const ev = (type: string, props: Record<string, unknown>) => {
      const id = randomUUID();
      ids.push(id);
      return { id, type, props };
    };
    await beacon(anon, CLIENT_EVENTS.slice(0, 7).map(([t, p]) => ev(t, p)));
    await beacon(anon, CLIENT_EVENTS.slice(7).map(([t, p]) => ev(t, p)), "u-parquet");
    const cartUser = `pq-cart-${randomUUID()}`;
    await beacon(cartUser, [ev("add_to_cart", { product_id: "sku-9", quantity: 1, price: 10, currency: "USD" })]);

    // Every id in the NDJSON, plus the collector's own session_end and cart_abandoned events.
    const first = await eventually(async () => {
      const got = await ndjson(api);
      const types = new Set(got.records.filter((r) => r.anonymous_id === anon || r.anonymous_id === cartUser).map((r) => r.type));
      return ids.every((id) => got.records.some((r) => r.id === id)) && types.has("session_end") && types.has("cart_abandoned") ? got : null;
    }, { what: "every event, session_end and cart_abandoned in the NDJSON", ms: 60_000 });

    // Compact every partition with data (the open hour included), twice: the second run adds nothing.
    const gen1 = new Map<string, string | null>();
    for (const p of first.partitions) {
      const r = await compact(p);
      expect(r.objects).toBeGreaterThan(0);
      gen1.set(`${p.dt}/${p.hr}`, r.generation);
      expect(await compact(p)).toEqual(expect.objectContaining({ generation: r.generation, objects: 0, events: 0 }));
    }

    // Late events: they arrive after their hour was compacted (each beacon is retried by its client too).
    const late = [ev("search", { query: "late shoes" }), ev("page_view", { path: "/late" })];
    await beacon(anon, late);
    const all = await eventually(async () => {
      const got = await ndjson(api);
      return ids.every((id) => got.records.some((r) => r.id === id)) ? got : null;
    }, { what: "the late events in the NDJSON", ms: 60_000 });
    let later = 0;
    for (const p of all.partitions) {
      const r = await compact(p);
      if (gen1.has(`${p.dt}/${p.hr}`) && r.objects > 0) {
        expect(Number(r.generation)).toBeGreaterThan(Number(gen1.get(`${p.dt}/${p.hr}`)));
        later++;
      }
    }
    expect(later + all.partitions.filter((p) => !gen1.has(`${p.dt}/${p.hr}`)).length).toBeGreaterThan(0);

    // Download the Parquet objects as stored.
    const objects = await api.lakeList("parquet/site=demo/");
    expect(objects.length).toBeGreaterThanOrEqual(2);
    for (const o of objects) {
      const bytes = await api.lakeRaw(o.key);
      expect(Buffer.from(bytes.slice(0, 4)).toString()).toBe("PAR1");
      await mkdir(dirname(join(dir, o.key)), { recursive: true });
      await writeFile(join(dir, o.key), bytes);
    }

    const db = await DuckDBInstance.create(":memory:");
    const conn = await db.connect();
    try {
      const described = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${READ(dir)}`)).getRowObjectsJS();
      expect(Object.fromEntries(described.map((r) => [r.column_name as string, r.column_type as string]))).toEqual(PARQUET_TYPES);

      const rows = (await conn.runAndReadAll(`SELECT * FROM ${READ(dir)}`)).getRowObjectsJS();
      const counts = (await conn.runAndReadAll(`SELECT count(*) AS n, count(DISTINCT id) AS d FROM ${READ(dir)}`)).getRowObjectsJS()[0]!;
      expect([Number(counts.n), Number(counts.d)]).toEqual([all.records.length, all.records.length]);
      expect(rows.map((r) => r.id).sort()).toEqual(all.records.map((r) => r.id).sort());

      // Row by row: the same values as the NDJSON line.
      const byId = new Map(rows.map((r) => [r.id as string, r]));
      for (const rec of all.records) {
        const row = byId.get(rec.id)!;
        const what = `${rec.type} ${rec.id}`;
        for (const k of ["site", "type", "anonymous_id", "user_id", "identity", "session_id", "bot", "locale", "timezone"]) expect(row[k], `${what} ${k}`).toEqual(rec[k]);
        for (const k of ["client_ts", "sent_at", "received_at", "ts"]) expect(ms(row[k]), `${what} ${k}`).toBe(Date.parse(rec[k]));
        expect(json(row.props), what).toEqual(rec.props);
        for (const k of COMMERCE) expect(row[k], `${what} ${k}`).toEqual(rec.props[k] ?? null);
        const page = row.page as Record<string, any>;
        expect({ ...page, campaign_params: json(page.campaign_params) }, what).toEqual(rec.page);
        const geo = row.geo as Record<string, any>;
        expect({ ...geo, asn: num(geo.asn) }, what).toEqual(rec.geo);
        expect(row.ua, what).toEqual(rec.ua);
        expect(row.bot_score ?? undefined, what).toEqual(rec.bot_score);
        expect(row.bot_reasons ?? undefined, what).toEqual(rec.bot_reasons);
        expect((row.dt as Date).toISOString().slice(0, 10), what).toBe(rec.received_at.slice(0, 10));
        expect(row.hr, what).toBe(Number(rec.received_at.slice(11, 13)));
      }
      expect(new Set(rows.filter((r) => r.anonymous_id === anon || r.anonymous_id === cartUser).map((r) => r.type))).toEqual(new Set([...CLIENT_EVENTS.map(([t]) => t), "session_end", "cart_abandoned"]));

      // A documented query (docs/LAKE.md): typed columns, no JSON extraction.
      const perType = (await conn.runAndReadAll(`SELECT type, count(*) AS n FROM ${READ(dir)} WHERE anonymous_id = '${anon}' GROUP BY ALL ORDER BY type`)).getRowObjectsJS();
      expect(perType.find((r) => r.type === "search")!.n).toBe(2n);
      const revenue = (await conn.runAndReadAll(`SELECT sum(revenue) AS r FROM ${READ(dir)} WHERE type = 'purchase' AND anonymous_id = '${anon}'`)).getRowObjectsJS();
      expect(revenue[0]!.r).toBe(59.9);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});
