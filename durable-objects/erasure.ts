/** Erasure helpers, pure: the deletion record's shape (its key is in lib/lake-keys.ts) and the tombstone hash of an event id. */
import { sha256HexSync } from "./lib/hash";

/** Written to the lake on erasure: who was erased and when; never any profile content. */
export interface ErasureRecord {
  type: "erasure";
  site: string;
  id: string;
  user_id: string | null;
  anonymous_ids: string[];
  requested_at: string;
}

/** What an erased object keeps of an event id until the dedup TTL ends: a SHA-256 prefix. */
export function tombstoneHash(eventId: string): string {
  return sha256HexSync(eventId, 32);
}

/** A deletion record read back from the lake, checked (anything else is not applied), or null. */
export function erasureRecordOf(v: unknown): ErasureRecord | null {
  if (!v || typeof v !== "object") return null;
  const r = v as Record<string, unknown>;
  const s = (x: unknown): x is string => typeof x === "string" && x.length > 0 && x.length <= 256;
  if (r.type !== "erasure" || !s(r.site) || !s(r.id) || !s(r.requested_at) || !Number.isFinite(Date.parse(r.requested_at))) return null;
  if (r.user_id !== null && r.user_id !== undefined && !s(r.user_id)) return null;
  const anonymous_ids = Array.isArray(r.anonymous_ids) ? r.anonymous_ids.filter(s).slice(0, 100) : [];
  return { type: "erasure", site: r.site, id: r.id, user_id: (r.user_id as string | null | undefined) ?? null, anonymous_ids, requested_at: new Date(Date.parse(r.requested_at)).toISOString() };
}
