/** Erasure helpers, pure: the deletion record's key and shape, and the tombstone hash of an event id. */
import { createHash } from "node:crypto";

/** Written to the lake on erasure: who was erased and when; never any profile content. */
export interface ErasureRecord {
  type: "erasure";
  site: string;
  id: string;
  user_id: string | null;
  anonymous_ids: string[];
  requested_at: string;
}

/** deletions/site=<site>/dt=YYYY-MM-DD/<id>-<YYYYMMDDTHHMMSSmmm>.json (the id URI-encoded). */
export function erasureKey(site: string, id: string, requestedAt: string): string {
  const stamp = requestedAt.replace(/[-:.Z]/g, "");
  return `deletions/site=${site}/dt=${requestedAt.slice(0, 10)}/${encodeURIComponent(id)}-${stamp}.json`;
}

/** What an erased object keeps of an event id until the dedup TTL ends: a SHA-256 prefix. */
export function tombstoneHash(eventId: string): string {
  return createHash("sha256").update(eventId).digest("hex").slice(0, 32);
}
