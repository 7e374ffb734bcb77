/**
 * The stored record (one lake row per accepted event) as a zod schema: the source of the lake's
 * typed columns (Parquet, and the Pipelines stream of schemas/lake/stream-schema.json).
 * `StoredRecord` in record.ts is the same shape; the type checks below fail on any drift.
 */
import { array, boolean, enum as oneOf, number, object, record, string, unknown, type z } from "zod";
import { EVENT_TYPES, isoTime } from "./events";
import type { StoredRecord } from "./record";

const text = () => string().nullable();

export const geoSchema = object({
  country: text(),
  region: text(),
  city: text(),
  postal_code: text(),
  latitude: number().nullable(),
  longitude: number().nullable(),
  timezone: text(),
  continent: text(),
  colo: text(),
  /** Autonomous system numbers are 32-bit unsigned: an int64 column. */
  asn: number().int().nonnegative().max(4_294_967_295).nullable(),
  as_org: text(),
});

export const userAgentSchema = object({
  browser: text(),
  version: text(),
  os: text(),
  device_type: oneOf(["desktop", "mobile", "tablet", "bot", "other"]),
});

export const pageSchema = object({
  url: text(),
  path: text(),
  referrer_host: text(),
  utm: object({ source: text(), medium: text(), campaign: text(), term: text(), content: text() }),
  campaign_params: record(string(), string()),
});

export const storedRecordSchema = object({
  id: string(),
  site: string(),
  type: oneOf(EVENT_TYPES as [StoredRecord["type"], ...StoredRecord["type"][]]),
  props: record(string(), unknown()),
  anonymous_id: string(),
  user_id: text(),
  identity: oneOf(["none", "asserted", "verified", "unverified"]),
  session_id: text(),
  client_ts: isoTime,
  sent_at: isoTime,
  received_at: isoTime,
  ts: isoTime,
  page: pageSchema,
  geo: geoSchema,
  ua: userAgentSchema,
  bot: boolean(),
  locale: text(),
  timezone: text(),
  bot_score: number().int().min(0).max(100).optional(),
  bot_reasons: array(string()).optional(),
});

// Compile-time drift check against the StoredRecord interface, both ways.
type Parsed = z.infer<typeof storedRecordSchema>;
const toInterface = (r: Parsed): StoredRecord => r;
const fromInterface = (r: StoredRecord): Parsed => r;
void toInterface;
void fromInterface;
