/**
 * The records of one ingest call as they cross the RPC to the user's object: the fields a
 * beacon's records share (site, user, session, times, page, geo, user agent...) once, and per
 * event only what is its own. A 10-event beacon's records repeat ~1 KB of shared fields per
 * event; packed, the argument is a fraction of that, and so is its serialisation on both sides.
 * Records that differ in a shared field (Segment batches) carry that field themselves. Pure.
 */
import type { StoredRecord } from "./record";

const SHARED = ["site", "anonymous_id", "user_id", "identity", "session_id", "sent_at", "received_at", "page", "geo", "ua", "bot", "locale", "timezone"] as const;
type SharedKey = (typeof SHARED)[number];
export type PackedEvent = Pick<StoredRecord, "id" | "type" | "props" | "client_ts" | "ts"> & Partial<Pick<StoredRecord, SharedKey | "bot_score" | "bot_reasons">>;
export interface PackedRecords {
  packed: 1;
  base: Pick<StoredRecord, SharedKey>;
  events: PackedEvent[];
}

export function isPacked(x: unknown): x is PackedRecords {
  return !!x && typeof x === "object" && (x as PackedRecords).packed === 1;
}

export function packRecords(records: readonly StoredRecord[]): PackedRecords {
  const first = records[0];
  const base = {} as Record<SharedKey, unknown>;
  if (first) for (const k of SHARED) base[k] = first[k];
  const events = records.map((r) => {
    const e: Record<string, unknown> = { id: r.id, type: r.type, props: r.props, client_ts: r.client_ts, ts: r.ts };
    // Same object or same value as the first record: left out (a beacon's records share their page, geo and ua objects).
    for (const k of SHARED) if (r[k] !== base[k]) e[k] = r[k];
    if (r.bot_score !== undefined) e.bot_score = r.bot_score;
    if (r.bot_reasons !== undefined) e.bot_reasons = r.bot_reasons;
    return e as PackedEvent;
  });
  return { packed: 1, base: base as PackedRecords["base"], events };
}

/** The records again, fields in the order the lake's rows have them. */
export function unpackRecords(p: PackedRecords): StoredRecord[] {
  const b = p.base;
  return p.events.map((e) => {
    const r: StoredRecord = {
      id: e.id,
      site: e.site ?? b.site,
      type: e.type,
      props: e.props,
      anonymous_id: e.anonymous_id ?? b.anonymous_id,
      user_id: "user_id" in e ? e.user_id! : b.user_id,
      identity: e.identity ?? b.identity,
      session_id: "session_id" in e ? e.session_id! : b.session_id,
      client_ts: e.client_ts,
      sent_at: e.sent_at ?? b.sent_at,
      received_at: e.received_at ?? b.received_at,
      ts: e.ts,
      page: e.page ?? b.page,
      geo: e.geo ?? b.geo,
      ua: e.ua ?? b.ua,
      bot: e.bot ?? b.bot,
      locale: "locale" in e ? e.locale! : b.locale,
      timezone: "timezone" in e ? e.timezone! : b.timezone,
    };
    if (e.bot_score !== undefined) r.bot_score = e.bot_score;
    if (e.bot_reasons !== undefined) r.bot_reasons = e.bot_reasons;
    return r;
  });
}
