/**
 * The lake as a data team reads it: gzip NDJSON objects written by the queue consumer, read
 * with DuckDB (@duckdb/node-api) straight from files, with the query documented in docs/LAKE.md.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../test/eventually";
import { SERVER_KEY, startCollector, type Collector } from "./support/collector";

let collector: Collector;
let dir: string;
beforeAll(async () => {
  collector = await startCollector();
  dir = await mkdtemp(join(tmpdir(), "collector-lake-"));
});
afterAll(async () => {
  await collector?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The documented query (docs/LAKE.md), with the lake's root as a parameter. */
const LAKE_QUERY = (root: string) => `
  SELECT id, site, type, props, anonymous_id, user_id,
         ts::TIMESTAMPTZ AS ts, received_at::TIMESTAMPTZ AS received_at,
         page.path AS path, page.utm.source AS utm_source,
         geo.country AS country, geo.asn AS asn, ua.browser AS browser, bot, dt, hr
  FROM read_ndjson('${root}/events/**/*.ndjson.gz', hive_partitioning = true, hive_types = {'dt': 'DATE', 'hr': 'INTEGER'},
                   columns = ${COLUMNS})`;
/** Stated, not guessed: the same types whatever the objects hold (docs/LAKE.md). */
const COLUMNS = `{
    id: 'VARCHAR', site: 'VARCHAR', type: 'VARCHAR', props: 'JSON',
    anonymous_id: 'VARCHAR', user_id: 'VARCHAR', session_id: 'VARCHAR',
    client_ts: 'VARCHAR', sent_at: 'VARCHAR', received_at: 'VARCHAR', ts: 'VARCHAR',
    page: 'STRUCT(url VARCHAR, path VARCHAR, referrer_host VARCHAR, utm STRUCT(source VARCHAR, medium VARCHAR, campaign VARCHAR, term VARCHAR, content VARCHAR), campaign_params JSON)',
    geo: 'STRUCT(country VARCHAR, region VARCHAR, city VARCHAR, postal_code VARCHAR, latitude DOUBLE, longitude DOUBLE, timezone VARCHAR, continent VARCHAR, colo VARCHAR, asn BIGINT, as_org VARCHAR)',
    ua: 'STRUCT(browser VARCHAR, version VARCHAR, os VARCHAR, device_type VARCHAR)',
    bot: 'BOOLEAN', locale: 'VARCHAR', timezone: 'VARCHAR'
  }`;

describe("lake with DuckDB", () => {
  it("reads the consumer's gzip NDJSON objects with the expected rows and column types", async () => {
    const anonymousId = `duck-${randomUUID()}`;
    const ids = { view: randomUUID(), order: randomUUID(), custom: randomUUID(), page: randomUUID() };
    const now = new Date();
    const batch = [
      { type: "page", messageId: ids.page, anonymousId, timestamp: now, properties: { url: "https://shop.example/p/sku-1?utm_source=news", path: "/p/sku-1" } },
      { type: "track", messageId: ids.view, anonymousId, event: "Product Viewed", timestamp: now, properties: { product_id: "sku-1", price: 59.9, currency: "EUR" }, context: { location: { country: "FR", city: "Paris" } } },
      { type: "track", messageId: ids.order, anonymousId, event: "Order Completed", timestamp: now, properties: { order_id: "o-1", revenue: 59.9, currency: "EUR", products: [{ product_id: "sku-1", quantity: 1 }] } },
      { type: "track", messageId: ids.custom, anonymousId, event: "Signed Up", timestamp: now, properties: { plan: "pro", seats: 3 } },
    ];
    const res = await fetch(`${collector.url}/v1/batch`, { method: "POST", headers: { "content-type": "application/json", authorization: `Basic ${btoa(`${SERVER_KEY}:`)}` }, body: JSON.stringify({ batch, sentAt: now }) });
    expect(await res.json()).toMatchObject({ success: true, accepted: 4 });
    // A browser beacon too, so the objects hold both kinds of record.
    const beaconId = randomUUID();
    const beacon = await fetch(`${collector.url}/v1/collect`, { method: "POST", headers: { "content-type": "text/plain", "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36" }, body: JSON.stringify({ site: "demo", anonymous_id: anonymousId, sent_at: now, events: [{ id: beaconId, type: "scroll_depth", ts: now, props: { percent: 50 } }] }) });
    expect(beacon.status).toBe(202);

    // Download every object of today's partition as written (gzip), keeping the layout.
    const prefix = `events/site=demo/dt=${now.toISOString().slice(0, 10)}/`;
    const want = [...Object.values(ids), beaconId];
    await eventually(async () => {
      const objects = await collector.lakeList(prefix);
      const text = (await Promise.all(objects.map((o) => collector.lakeText(o.key)))).join("");
      return want.every((id) => text.includes(id)) ? objects : null;
    }, { what: "the batch and the beacon in the lake", ms: 30_000, every: 200 });
    for (const o of await collector.lakeList(prefix)) {
      const bytes = await collector.lakeRaw(o.key);
      expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]); // gzip, as the consumer wrote it
      await mkdir(dirname(join(dir, o.key)), { recursive: true });
      await writeFile(join(dir, o.key), bytes);
    }

    const db = await DuckDBInstance.create(":memory:");
    const conn = await db.connect();
    try {
      // Schema inference alone (what `SELECT * FROM read_ndjson(...)` gives a newcomer) already
      // nests page/geo/ua as structs; but it guesses from the data (all-UUID ids become UUID,
      // hr = '05' stays text), which is why the documented query states the columns.
      const inferred = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_ndjson('${dir}/events/**/*.ndjson.gz', hive_partitioning = true)`);
      const types = Object.fromEntries(inferred.getRowObjectsJS().map((r) => [r.column_name as string, r.column_type as string]));
      expect(types).toMatchObject({ type: "VARCHAR", bot: "BOOLEAN", site: "VARCHAR", dt: "DATE" });
      expect(types.props).toMatch(/^STRUCT\(|^JSON$/);
      expect(types.geo).toMatch(/^STRUCT\(/);

      // The documented query: stated column types.
      const q = await conn.runAndReadAll(`DESCRIBE ${LAKE_QUERY(dir)}`);
      const described = Object.fromEntries(q.getRowObjectsJS().map((r) => [r.column_name as string, r.column_type as string]));
      expect(described).toMatchObject({ id: "VARCHAR", type: "VARCHAR", props: "JSON", ts: "TIMESTAMP WITH TIME ZONE", received_at: "TIMESTAMP WITH TIME ZONE", asn: "BIGINT", country: "VARCHAR", bot: "BOOLEAN", dt: "DATE", hr: "INTEGER" });

      const rows = (await conn.runAndReadAll(`SELECT id, type, props->>'$.product_id' AS product_id, (props->>'$.revenue')::DOUBLE AS revenue, props->>'$.properties.plan' AS plan, ts, path, utm_source, country, bot FROM (${LAKE_QUERY(dir)}) WHERE anonymous_id = '${anonymousId}' ORDER BY id`)).getRowObjectsJS();
      expect(rows).toHaveLength(5);
      const byId = new Map(rows.map((r) => [r.id as string, r]));
      expect(byId.get(ids.view)).toMatchObject({ type: "product_view", product_id: "sku-1", country: "FR", bot: false });
      expect(byId.get(ids.order)).toMatchObject({ type: "purchase", revenue: 59.9 });
      expect(byId.get(ids.custom)).toMatchObject({ type: "custom", plan: "pro" });
      expect(byId.get(ids.page)).toMatchObject({ type: "page_view", path: "/p/sku-1", utm_source: "news" });
      expect(byId.get(beaconId)).toMatchObject({ type: "scroll_depth" });
      expect((byId.get(ids.view)!.ts as Date).toISOString()).toBe(now.toISOString());

      // One row per event id: nothing duplicated across objects.
      const dup = (await conn.runAndReadAll(`SELECT count(*) - count(DISTINCT id) AS d FROM (${LAKE_QUERY(dir)})`)).getRowObjectsJS();
      expect(Number(dup[0]!.d)).toBe(0);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});
