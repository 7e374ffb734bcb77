/** Stored records as rows of the Pipelines stream: they fit the stream schema generated from zod. */
import { describe, expect, it } from "vitest";
import type { LakeField } from "../../schemas/lake-types";
import { everyType } from "../../test/lake-fixtures";
import { record } from "../../test/records";
import { LAKE_SCHEMA } from "./parquet";
import { sendBatches, streamEnabled, toStreamRecord } from "./pipeline";

/** What the stream checks for a structured schema, field by field; returns the paths that do not fit. */
function misfits(fields: readonly LakeField[], row: Record<string, unknown>, prefix = ""): string[] {
  const bad: string[] = [];
  for (const f of fields) {
    const v = row[f.name];
    const path = prefix + f.name;
    if (!(f.name in row)) bad.push(`${path}: missing`);
    else if (v === null) {
      if (f.required) bad.push(`${path}: null but required`);
    } else if (!fits(f, v)) bad.push(`${path}: ${JSON.stringify(v)} is not ${f.type}`);
    else if (f.type === "struct") bad.push(...misfits(f.fields!, v as Record<string, unknown>, `${path}.`));
    else if (f.type === "list") (v as unknown[]).forEach((x, i) => bad.push(...misfits([{ ...f.items!, name: String(i) }], { [i]: x }, `${path}.`)));
  }
  return bad;
}
function fits(f: LakeField, v: unknown): boolean {
  switch (f.type) {
    case "string": return typeof v === "string";
    case "timestamp": return Number.isSafeInteger(v);
    case "int32": return Number.isInteger(v) && Math.abs(v as number) < 2 ** 31;
    case "int64": return Number.isSafeInteger(v);
    case "float64": return typeof v === "number";
    case "bool": return typeof v === "boolean";
    case "json": return v !== undefined;
    case "struct": return typeof v === "object" && !Array.isArray(v);
    case "list": return Array.isArray(v);
  }
}

describe("Pipelines stream rows", () => {
  it("fit the generated stream schema for every event type, with the record's values", () => {
    for (const r of everyType()) {
      const row = toStreamRecord(r);
      expect(misfits(LAKE_SCHEMA.fields, row), r.type).toEqual([]);
      expect(row).toMatchObject({ id: r.id, type: r.type, props: r.props, ts: Date.parse(r.ts), client_ts: Date.parse(r.client_ts), geo: { asn: r.geo.asn, city: r.geo.city } });
      expect(row.product_id).toEqual((r.props as any).product_id ?? null);
      expect(JSON.parse(JSON.stringify(row))).toEqual(row); // plain JSON, as send() serialises it
    }
  });
  it("a record of an older version (field missing) still fits where the field is optional, and is flagged where required", () => {
    const old = record();
    delete (old as Partial<typeof old>).bot_score;
    expect(misfits(LAKE_SCHEMA.fields, toStreamRecord(old))).toEqual([]);
    delete (old as Partial<typeof old>).identity;
    expect(misfits(LAKE_SCHEMA.fields, toStreamRecord(old))).toEqual(["identity: null but required"]);
  });
  it("splits sends below the ingestion request limit", () => {
    const rows = Array.from({ length: 50 }, (_, i) => toStreamRecord(record({ id: `r-${String(i).padStart(3, "0")}` })));
    const size = JSON.stringify(rows[0]).length + 1;
    const batches = sendBatches(rows, size * 20 + 2);
    expect(batches.map((b) => b.length)).toEqual([20, 20, 10]);
    for (const b of batches) expect(JSON.stringify(b).length).toBeLessThanOrEqual(size * 20 + 2);
  });
  it("is off unless PIPELINE_STREAM is 1 and the binding exists", () => {
    const stream = { send: async () => {} };
    expect(streamEnabled({ LAKE_STREAM: stream })).toBe(false);
    expect(streamEnabled({ PIPELINE_STREAM: "1" })).toBe(false);
    expect(streamEnabled({ PIPELINE_STREAM: "1", LAKE_STREAM: stream })).toBe(true);
  });
});
