/**
 * The lake's typed columns, derived from the zod stored-record schema (stored-record.ts) and the
 * props schemas of the event types (events.ts). One description serves both:
 *  - the Parquet files of the compaction job (worker/lake/parquet.ts maps it to a Parquet schema),
 *  - the Cloudflare Pipelines stream (`wrangler pipelines streams create --schema-file`), whose
 *    schema format this is: {fields: [{name, type, required, unit?, fields?, items?}]}.
 * `npm run schemas` writes it to schemas/lake/stream-schema.json (committed, bundled);
 * schemas/lake-schema.unit.test.ts fails when that file drifts from zod.
 *
 * Rules: string -> string; date-time string -> timestamp (ms); integer -> int32 when its bounds
 * fit, else int64; number -> float64; boolean -> bool; object with properties -> struct;
 * record (free keys) -> json; array -> list. `props` is json (its shape depends on `type`), and
 * the common e-commerce fields of props get their own columns (COMMERCE_FIELDS), typed from the
 * props schemas that have them.
 */
import { toJSONSchema, type ZodType } from "zod";
import { propsByType } from "./events";
import { COMMERCE_FIELDS, type CommerceField, type LakeField, type LakeSchema, type LakeType } from "./lake-types";
import { storedRecordSchema } from "./stored-record";

export { COMMERCE_FIELDS } from "./lake-types";
export type { CommerceField, LakeField, LakeSchema, LakeType } from "./lake-types";

type Json = Record<string, any>;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

const jsonOf = (s: ZodType): Json => toJSONSchema(s, { io: "input", target: "draft-2020-12" }) as Json;

/** The schema without its null alternative, and whether null was allowed. */
function unNull(s: Json): { schema: Json; nullable: boolean } {
  if (Array.isArray(s.type) && s.type.includes("null")) {
    const rest = s.type.filter((t: string) => t !== "null");
    return { schema: { ...s, type: rest.length === 1 ? rest[0] : rest }, nullable: true };
  }
  if (Array.isArray(s.anyOf)) {
    const rest = s.anyOf.filter((a: Json) => a.type !== "null");
    if (rest.length === 1 && rest.length < s.anyOf.length) return { schema: rest[0], nullable: true };
  }
  return { schema: s, nullable: false };
}

function fieldOf(name: string, raw: Json, required: boolean): LakeField {
  const { schema: s, nullable } = unNull(raw);
  const base = { name, required: required && !nullable };
  switch (s.type) {
    case "string":
      return s.format === "date-time" ? { ...base, type: "timestamp", unit: "millisecond" } : { ...base, type: "string" };
    case "boolean":
      return { ...base, type: "bool" };
    case "number":
      return { ...base, type: "float64" };
    case "integer": {
      const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -Infinity);
      const max = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : Infinity);
      return { ...base, type: min >= INT32_MIN && max <= INT32_MAX ? "int32" : "int64" };
    }
    case "array":
      return { ...base, type: "list", items: fieldOf("element", s.items ?? {}, false) };
    case "object":
      if (s.properties && !s.additionalProperties) {
        const req = new Set<string>(s.required ?? []);
        return { ...base, type: "struct", fields: Object.entries(s.properties as Record<string, Json>).map(([k, v]) => fieldOf(k, v, req.has(k))) };
      }
      return { ...base, type: "json" };
    default:
      // unknown() and other open shapes
      return { ...base, type: "json" };
  }
}

/** The type of one promoted props field, the same in every event type that has it. */
function commerceField(name: CommerceField): LakeField {
  const seen = new Map<string, string[]>();
  for (const [type, schema] of Object.entries(propsByType)) {
    const prop = (jsonOf(schema).properties as Record<string, Json> | undefined)?.[name];
    if (!prop) continue;
    const t = fieldOf(name, prop, false).type;
    seen.set(t, [...(seen.get(t) ?? []), type]);
  }
  if (seen.size !== 1) throw new Error(`props.${name} must have one type across event types, found ${JSON.stringify(Object.fromEntries(seen))}`);
  return { name, type: [...seen.keys()][0] as LakeType, required: false };
}

/** The lake's columns in order: the stored record's fields, with the promoted props fields right after `props`. */
export function buildLakeSchema(): LakeSchema {
  const root = jsonOf(storedRecordSchema);
  const required = new Set<string>(root.required ?? []);
  const fields: LakeField[] = [];
  for (const [name, s] of Object.entries(root.properties as Record<string, Json>)) {
    fields.push(fieldOf(name, s, required.has(name)));
    if (name === "props") fields.push(...COMMERCE_FIELDS.map(commerceField));
  }
  return { fields };
}
