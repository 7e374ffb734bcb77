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
