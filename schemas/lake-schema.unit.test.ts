/** Drift check and rules of the lake's typed columns (schemas/lake/stream-schema.json, from zod). */
import { describe, expect, it } from "vitest";
import committed from "./lake/stream-schema.json";
import { buildLakeSchema, COMMERCE_FIELDS, type LakeField } from "./lake-schema";
import { storedRecordSchema } from "./stored-record";
import { everyType } from "../test/lake-fixtures";

const byName = (fields: LakeField[]) => Object.fromEntries(fields.map((f) => [f.name, f]));

describe("lake schema", () => {
  const generated = buildLakeSchema();
  it("schemas/lake/stream-schema.json matches the zod source (run `npm run schemas` after changing schemas/)", () => {
    expect(committed).toEqual(generated);
  });
  it("has one column per stored-record field, in order, with the promoted e-commerce fields after props", () => {
    const names = generated.fields.map((f) => f.name);
    const record = Object.keys(storedRecordSchema.shape);
    expect(names.filter((n) => !(COMMERCE_FIELDS as readonly string[]).includes(n))).toEqual(record);
    expect(names.slice(names.indexOf("props") + 1, names.indexOf("props") + 1 + COMMERCE_FIELDS.length)).toEqual([...COMMERCE_FIELDS]);
  });
  it("types timestamps, numbers, structs and lists from zod", () => {
    const f = byName(generated.fields);
    for (const t of ["client_ts", "sent_at", "received_at", "ts"]) expect(f[t]).toEqual({ name: t, type: "timestamp", unit: "millisecond", required: true });
    expect(f.props).toMatchObject({ type: "json", required: true });
    expect(f.user_id).toMatchObject({ type: "string", required: false });
    expect(f.bot).toMatchObject({ type: "bool", required: true });
    expect(f.bot_score).toMatchObject({ type: "int32", required: false });
    expect(f.bot_reasons).toMatchObject({ type: "list", items: { name: "element", type: "string" } });
    const geo = byName(f.geo!.fields!);
    expect([geo.latitude!.type, geo.asn!.type, geo.country!.type]).toEqual(["float64", "int64", "string"]);
    const page = byName(f.page!.fields!);
    expect(page.utm).toMatchObject({ type: "struct", required: true });
    expect(page.campaign_params).toMatchObject({ type: "json" });
    expect(byName(f.ua!.fields!).device_type).toMatchObject({ type: "string", required: true });
  });
  it("types the promoted props fields from the event schemas", () => {
    const f = byName(generated.fields);
    expect(Object.fromEntries(COMMERCE_FIELDS.map((n) => [n, f[n]!.type]))).toEqual({
      product_id: "string", category: "string", price: "float64", currency: "string", quantity: "int32", revenue: "float64", order_id: "string", query: "string",
    });
    for (const n of COMMERCE_FIELDS) expect(f[n]!.required).toBe(false);
  });
  it("describes what the collector stores (the fixtures parse with the stored-record schema)", () => {
    for (const r of everyType()) expect(storedRecordSchema.safeParse(r).error).toBeUndefined();
  });
});
