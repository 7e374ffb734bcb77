/** What the collector stores: one NDJSON line in the lake per accepted event. */
import type { ItemDelta } from "./catalog";
import type { EventType } from "./events";

export interface Geo {
  country: string | null;
  region: string | null;
  city: string | null;
  postal_code: string | null;
  latitude: number | null;
  longitude: number | null;
  timezone: string | null;
  continent: string | null;
  colo: string | null;
  asn: number | null;
  as_org: string | null;
}

export interface UserAgentInfo {
  browser: string | null;
  version: string | null;
  os: string | null;
  device_type: "desktop" | "mobile" | "tablet" | "bot" | "other";
}

export interface PageInfo {
  url: string | null;
  path: string | null;
  referrer_host: string | null;
  utm: {
    source: string | null;
    medium: string | null;
    campaign: string | null;
    term: string | null;
    content: string | null;
  };
  /** Ad-click ids and other campaign parameters (gclid, fbclid, msclkid, ...). */
  campaign_params: Record<string, string>;
}

/**
 * How far the record's user_id can be trusted: "none" (no user id claimed), "asserted" (claimed,
 * site does not require signatures), "verified" (signed with the site's identity secret),
 * "unverified" (a claim that failed or lacked a required signature: user_id dropped).
 */
export type IdentityStatus = "none" | "asserted" | "verified" | "unverified";

export interface StoredRecord {
  id: string;
  site: string;
  type: EventType;
  props: Record<string, unknown>;
  anonymous_id: string;
  user_id: string | null;
  identity: IdentityStatus;
  session_id: string | null;
  client_ts: string;
  sent_at: string;
  received_at: string;
  /** Clock-skew corrected: received_at - (sent_at - client_ts). */
  ts: string;
  page: PageInfo;
  geo: Geo;
  ua: UserAgentInfo;
  bot: boolean;
  locale: string | null;
  timezone: string | null;
  /** Behavioural bot score (0..100) from the user's own history, and its reasons (durable-objects/bot-score.ts). */
  bot_score?: number;
  bot_reasons?: string[];
}

/** One Queue message: a chunk of a Durable Object's buffer, with a stable id. */
export interface FlushChunk {
  v: 1;
  kind?: "events";
  chunk: string;
  site: string;
  records: StoredRecord[];
  /** Site-wide item statistics of these records (co-visits, popularity, attributes); applied once, by the consumer run that writes the chunk to the lake. */
  items?: ItemDelta;
}

/** A refused event or envelope, kept in the lake under rejected/ with its reason. */
export interface RejectedRow {
  site: string;
  received_at: string;
  reason: "invalid_event" | "invalid_envelope";
  index: number | null;
  id: string | null;
  errors: { path: string; message: string }[];
  /** The refused JSON, e-mail addresses redacted, cut at 4 KB. */
  raw: string;
  /** Whose it was, when the sender named them (so an erasure can purge the row). */
  anonymous_id?: string | null;
  user_id?: string | null;
}

export interface RejectedChunk {
  v: 1;
  kind: "rejected";
  chunk: string;
  site: string;
  records: RejectedRow[];
}

/** Counters from a user's object (duplicates), merged into the metrics by the consumer; nothing for the lake. */
export interface StatsChunk {
  v: 1;
  kind: "stats";
  chunk: string;
  site: string;
  records: [];
  /** epoch minute -> counters (worker/metrics/tree.ts) */
  rows: Record<string, MetricRow>;
}
/** Nested counters; rows merge by adding leaves. */
export type MetricRow = { [k: string]: number | MetricRow };

export type LakeMessage = FlushChunk | RejectedChunk | StatsChunk;
