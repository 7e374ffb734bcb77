/** Stored records -> Parquet -> read back (hyparquet): same rows, typed columns, row groups, compression. */
import { parquetMetadata, parquetSchema as readSchema } from "hyparquet";
import { readParquet } from "../../test/parquet-read";
import { describe, expect, it } from "vitest";
import { COMMERCE_FIELDS } from "../../schemas/lake-types";
import { everyType } from "../../test/lake-fixtures";
import { record } from "../../test/records";
import { cell, columnsOf, LAKE_SCHEMA, parquetSchema, toParquet } from "./parquet";

const buffer = (u: Uint8Array) => u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;
const ms = (iso: string) => Date.parse(iso);

describe("parquet writer", () => {
  it("writes every record once with its values, typed", async () => {
    const records = everyType();
    const file = buffer(toParquet(records));
    const rows = await readParquet(file);
    expect(rows).toHaveLength(records.length);
    for (const [i, r] of records.entries()) {
      const row = rows[i]!;
      expect(row.id).toBe(r.id);
      expect(row.type).toBe(r.type);
      for (const t of ["client_ts", "sent_at", "received_at", "ts"] as const) expect((row[t] as Date).getTime(), t).toBe(ms(r[t]));
      expect(typeof row.props === "string" ? JSON.parse(row.props) : row.props).toEqual(r.props);
      for (const c of COMMERCE_FIELDS) expect(row[c], `${r.type}.${c}`).toEqual((r.props as Record<string, unknown>)[c] ?? null);
      expect(row.geo).toMatchObject({ ...r.geo, asn: BigInt(r.geo.asn!) });
      expect(row.page).toMatchObject({ url: r.page.url, utm: r.page.utm });
      expect(typeof row.page.campaign_params === "string" ? JSON.parse(row.page.campaign_params) : row.page.campaign_params).toEqual(r.page.campaign_params);
      expect(row.ua).toEqual(r.ua);
      expect([row.bot, row.user_id, row.identity, row.anonymous_id, row.session_id]).toEqual([r.bot, r.user_id, r.identity, r.anonymous_id, r.session_id]);
      expect(row.bot_score ?? undefined).toEqual(r.bot_score);
      expect(row.bot_reasons ?? undefined).toEqual(r.bot_reasons);
    }
  });

  it("declares Parquet types from the lake schema: UTC millisecond timestamps, INT32/INT64, DOUBLE, JSON, structs, a list", () => {
    const leaves = Object.fromEntries(parquetSchema().filter((e) => e.type).map((e) => [e.name, e]));
    expect(leaves.ts).toMatchObject({ type: "INT64", logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MILLIS" } });
    expect(leaves.quantity).toMatchObject({ type: "INT32" });
    expect(leaves.asn).toMatchObject({ type: "INT64" });
    expect(leaves.price).toMatchObject({ type: "DOUBLE" });
    expect(leaves.props).toMatchObject({ type: "BYTE_ARRAY", converted_type: "JSON" });
    expect(leaves.element).toMatchObject({ type: "BYTE_ARRAY", converted_type: "UTF8" });
    const geo = parquetSchema().find((e) => e.name === "geo")!;
    expect(geo.num_children).toBe(LAKE_SCHEMA.fields.find((f) => f.name === "geo")!.fields!.length);
  });

  it("compresses (gzip by default, snappy on request), delta-encodes timestamps, keeps statistics, splits row groups at the given size and stores footer metadata", async () => {
    const records = Array.from({ length: 7 }, (_, i) => record({ ts: new Date(Date.UTC(2031, 0, 1, 0, 0, i)).toISOString() }));
    const file = buffer(toParquet(records, { rowGroupRows: 3, metadata: { "edge-collector.generation": "000002" } }));
    const meta = parquetMetadata(file);
    expect(meta.row_groups.map((g) => Number(g.num_rows))).toEqual([3, 3, 1]);
    const ts = meta.row_groups[0]!.columns.find((c) => c.meta_data!.path_in_schema.join(".") === "ts")!.meta_data!;
    expect(ts.codec).toBe("GZIP");
    expect(ts.encodings).toContain("DELTA_BINARY_PACKED");
    const snappy = parquetMetadata(buffer(toParquet(records, { codec: "SNAPPY" })));
    expect(new Set(snappy.row_groups[0]!.columns.map((c) => c.meta_data!.codec))).toEqual(new Set(["SNAPPY"]));
    expect(await readParquet(buffer(toParquet(records, { codec: "SNAPPY" })))).toHaveLength(7);
    expect(ts.statistics?.min_value).toBeDefined();
    expect(meta.key_value_metadata).toContainEqual({ key: "edge-collector.generation", value: "000002" });
    expect(readSchema(meta).children.map((c) => c.element.name)).toEqual(LAKE_SCHEMA.fields.map((f) => f.name));
  });

  it("writes a valid empty file", async () => {
    const file = buffer(toParquet([]));
    expect(Number(parquetMetadata(file).num_rows)).toBe(0);
  });

  it("turns values of the wrong type or missing fields (records of older versions) into nulls, never throws", () => {
    const f = (name: string) => LAKE_SCHEMA.fields.find((x) => x.name === name)!;
    expect(cell(f("ts"), "not a time")).toBeNull();
    expect(cell(f("quantity"), 1.5)).toBeNull();
    expect(cell(f("price"), "12")).toBeNull();
    expect(cell(f("bot_score"), undefined)).toBeNull();
    const old = record();
    delete (old as Partial<typeof old>).identity;
    const cols = Object.fromEntries(columnsOf([old]).map((c) => [c.name, c.data[0]]));
    expect(cols.identity).toBeNull();
    expect(cols.product_id).toBeNull();
  });
});
