/**
 * Which lines of a lake object belong to an erased person, and the object without them. Pure.
 *
 * A record belongs to a deletion record {site, id, user_id, anonymous_ids, requested_at} when it
 * is of that site, was received at or before requested_at (later events are a new profile),
 * and either its user_id is the person's (id or user_id), or it has no user_id and its
 * anonymous_id is one of the person's (id or anonymous_ids). A record with another user's id
 * is never taken, even on an anonymous id the person used (shared devices).
 *
 * Lines are kept byte for byte and in order, so a rewrite is deterministic: rewriting the
 * result again removes nothing.
 */
import type { ErasureRecord } from "../../durable-objects/erasure";

/** What a lake object holds: stored events, rejected rows, dead letters carrying either, or Parquet rows of events. */
export type LineKind = "events" | "rejected" | "deadletter" | "parquet";

export interface Deletion {
  key: string;
  record: ErasureRecord;
}

interface Matcher {
  key: string;
  site: string;
  requestedAt: string;
  users: Set<string>;
  anons: Set<string>;
  /** `"anonymous_id":"x"` and the like, for rejected rows that carry only their raw JSON. */
  rawNeedles: string[];
}

const str = (v: unknown): string | null => (typeof v === "string" && v.length > 0 ? v : null);

function matcherOf(d: Deletion): Matcher {
  const r = d.record;
  const users = new Set([r.id, r.user_id].filter((x): x is string => !!x));
  const anons = new Set([r.id, ...(r.anonymous_ids ?? [])].filter((x): x is string => !!x));
  const rawNeedles = [
    ...[...users].flatMap((u) => [`"user_id":${JSON.stringify(u)}`, `"userId":${JSON.stringify(u)}`]),
    ...[...anons].flatMap((a) => [`"anonymous_id":${JSON.stringify(a)}`, `"anonymousId":${JSON.stringify(a)}`]),
  ];
  return { key: d.key, site: r.site, requestedAt: r.requested_at, users, anons, rawNeedles };
}

/** A function telling which deletion (key) a record belongs to, or null. */
export function ownerMatcher(deletions: readonly Deletion[]): (rec: Record<string, unknown>) => string | null {
  const matchers = deletions.map(matcherOf);
  return (rec) => ownerOf(rec, matchers);
}

/** The deletion (key) a record belongs to, or null. Works for stored records and rejected rows. */
function ownerOf(rec: Record<string, unknown>, matchers: Matcher[]): string | null {
  const site = str(rec.site);
  const received = str(rec.received_at);
  if (!site || !received) return null;
  const user = str(rec.user_id);
  const anon = str(rec.anonymous_id);
  const raw = typeof rec.raw === "string" ? rec.raw : null;
  for (const m of matchers) {
    if (m.site !== site || received > m.requestedAt) continue;
    if (user !== null ? m.users.has(user) : anon !== null && m.anons.has(anon)) return m.key;
    // Rejected rows written before they carried ids: the raw JSON names them.
    if (user === null && anon === null && raw !== null && m.rawNeedles.some((n) => raw.includes(n))) return m.key;
  }
  return null;
}

export interface Filtered {
  /** The object's text without the person's lines (or records, for dead letters). */
  text: string;
  kept: number;
  /** deletion key -> records removed */
  removed: Map<string, number>;
}

/**
 * NDJSON text -> the same text without the lines (events, rejected) or the records inside
 * lines (dead letters) of the given deletions. A line that does not parse is kept as it is.
 */
export function filterLines(kind: LineKind, text: string, deletions: readonly Deletion[]): Filtered {
  const matchers = deletions.map(matcherOf);
  const removed = new Map<string, number>();
  const note = (key: string) => removed.set(key, (removed.get(key) ?? 0) + 1);
  let out = "";
  let kept = 0;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      out += line + "\n";
      kept++;
      continue;
    }
    if (!value || typeof value !== "object") {
      out += line + "\n";
      kept++;
      continue;
    }
    if (kind !== "deadletter") {
      const owner = ownerOf(value as Record<string, unknown>, matchers);
      if (owner) note(owner);
      else (out += line + "\n"), kept++;
      continue;
    }
    // A dead letter: {message_id, ..., body: {records: [...]}}; the person's records leave the body.
    const body = (value as { body?: { records?: unknown } }).body;
    const records = body && Array.isArray(body.records) ? (body.records as Record<string, unknown>[]) : null;
    if (!records) {
      out += line + "\n";
      kept++;
      continue;
    }
    const left = records.filter((r) => {
      const owner = r && typeof r === "object" ? ownerOf(r, matchers) : null;
      if (owner) note(owner);
      return !owner;
    });
    if (left.length === records.length) (out += line + "\n"), kept++;
    else if (left.length > 0) (out += JSON.stringify({ ...(value as object), body: { ...body, records: left } }) + "\n"), kept++;
  }
  return { text: out, kept, removed };
}

/** The UTC hour a partitioned key (`.../dt=YYYY-MM-DD/hr=HH/...`) starts at, or null. */
export function partitionStart(key: string): string | null {
  const m = /\/dt=(\d{4}-\d{2}-\d{2})\/hr=(\d{2})\//.exec(key);
  return m ? `${m[1]}T${m[2]}:00:00.000Z` : null;
}

/** Deletions that can have lines in this object: events received after requested_at land in later partitions. */
export function deletionsFor(key: string, kind: LineKind, deletions: readonly Deletion[]): Deletion[] {
  const start = kind === "deadletter" ? null : partitionStart(key);
  return start === null ? [...deletions] : deletions.filter((d) => start <= d.record.requested_at);
}
