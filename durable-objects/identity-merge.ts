/**
 * Identity merge, the user's side: when a user's beacon names anonymous ids not merged yet,
 * each anonymous object hands over its profile and event ids once (its `mergeInto`), outside
 * the ingest transaction; inside it, `adoptMerges` records them, re-checking so that racing
 * beacons merge once. The anonymous object keeps `merged_into` and forwards later beacons.
 */
import type { StoredRecord } from "../schemas";
import { mergeProfiles } from "./merge";
import { emptyProfile, upgradeProfile, type Profile } from "./profile";
import { profileStub } from "./stub";
import type { UserStore } from "./user-store";

/** What an anonymous object hands over to the user it is merged into. */
export interface MergeSnapshot {
  outcome: "merged" | "elsewhere";
  /** The user this anonymous id belongs to (the first one that claimed it). */
  into: string;
  profile: Profile | null;
  seen: { id: string; at: number }[];
}

/** Anonymous ids this user's beacon joins, not merged yet: ask each for its snapshot. */
export async function collectMerges(env: Env, store: UserStore, site: string, id: string, records: StoredRecord[], forwardedFrom?: string): Promise<Map<string, MergeSnapshot>> {
  const anon = new Set<string>();
  for (const r of records) if (r.user_id === id && r.anonymous_id !== id) anon.add(r.anonymous_id);
  if (forwardedFrom && forwardedFrom !== id) anon.add(forwardedFrom);
  const todo = [...anon].filter((a) => !store.isMerged(a));
  const out = new Map<string, MergeSnapshot>();
  // A beacon that is all duplicates (a retry, maybe of an erased person) merges nothing.
  if (todo.length === 0 || store.allKnown(records)) return out;
  for (const a of todo) out.set(a, await profileStub(env, site, a).mergeInto(site, a, id));
  return out;
}

/** Records the merges gathered before the transaction (skipping any a concurrent ingest did). */
export function adoptMerges(store: UserStore, snapshots: Map<string, MergeSnapshot>, now: number, halfLifeMs: number): { ids: string[]; profile: Profile | null } {
  let profile = store.profile();
  const ids: string[] = [];
  for (const [anon, snap] of snapshots) {
    if (store.isMerged(anon)) continue;
    store.recordMerge(anon, snap.outcome === "merged" ? "merged" : `elsewhere:${snap.into}`, now);
    if (snap.outcome !== "merged") continue;
    store.seen.adopt(snap.seen);
    if (snap.profile) profile = mergeProfiles(profile ?? emptyProfile(store.meta("site")!, store.meta("id")!), upgradeProfile(snap.profile), halfLifeMs);
    ids.push(anon);
  }
  return { ids, profile: ids.length ? profile : null };
}
