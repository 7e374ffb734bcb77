/** The lake's column description (see lake-schema.ts, which derives it from zod); types only and one constant, cheap to bundle. */
export type LakeType = "string" | "json" | "timestamp" | "int32" | "int64" | "float64" | "bool" | "struct" | "list";

export interface LakeField {
  name: string;
  type: LakeType;
  /** Present and not null in every record (nullable and optional fields are not required). */
  required: boolean;
  /** timestamps: always milliseconds since the epoch, UTC. */
  unit?: "millisecond";
  fields?: LakeField[];
  items?: LakeField;
}

export interface LakeSchema {
  fields: LakeField[];
}

/** props fields promoted to columns of their own (null when the event type has no such field). */
export const COMMERCE_FIELDS = ["product_id", "category", "price", "currency", "quantity", "revenue", "order_id", "query"] as const;
export type CommerceField = (typeof COMMERCE_FIELDS)[number];

