/**
 * Access and erasure for one person (GDPR articles 15 and 17), over the user object's
 * collaborators: export everything held, or erase it after writing a deletion record (ids
 * only, never the profile) to the lake. Event ids are kept only as SHA-256 hashes until the
 * dedup TTL ends, so a client retrying an old beacon cannot bring the profile back.
 */
import type { ErasureRecord } from "./erasure";
import { erasureKey } from "./lib/lake-keys";
import { profileStub } from "./stub";
import type { Outbox } from "./outbox";
import type { Schedule } from "./schedule";
import type { Subscribers } from "./subscribers";
import type { UserStore } from "./user-store";

/** What the user object lends this collaborator. */
export interface UserParts {
  env: Env;
  store: UserStore;
  outbox: Outbox;
  schedule: Schedule;
  subs: Subscribers;
  transaction<T>(fn: () => T): T;
  planPrune(now: number): void;
  view(): unknown;
}

export interface ErasureResult {
  id: string;
  anonymous_ids: string[];
  deletion_record: string | null;
  objects: number;
  buffered_events_dropped: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

export async function exportUser(o: UserParts, site: string, id: string, fromUser?: string): Promise<Record<string, unknown> | null> {
  const into = o.store.meta("merged_into");
  if (into && !fromUser) return profileStub(o.env, site, into).exportAll(site, into);
  if (!o.store.holdsAnything() && o.outbox.buffered() === 0) return null;
  const merged = o.store.mergedRows();
  const mergedObjects = [];
  for (const m of merged) {
    if (m.outcome === "merged") mergedObjects.push(await profileStub(o.env, site, m.anon_id).exportAll(site, m.anon_id, id));
  }
  return {
    site,
    id,
    exported_at: new Date().toISOString(),
    profile: o.view(),
    merged_into: into,
    merged_anonymous_ids: merged.map((m) => ({ anonymous_id: m.anon_id, outcome: m.outcome, at: iso(m.at) })),
    buffered_events: o.outbox.records(),
    consent: o.store.meta("consent") ?? "unknown",
    held_events: o.store.heldRecords(),
    event_ids: o.store.seenRows().map((r) => ({ id: r.id, at: iso(r.at) })),
    timers: Object.fromEntries(Object.entries(o.schedule.all()).map(([k, v]) => [k, iso(v)])),
    merged_objects: mergedObjects.filter(Boolean),
    lake: `Events already flushed are in the lake under events/site=${site}/ (match user_id or anonymous_id).`,
  };
}

export async function eraseUser(o: UserParts, site: string, id: string, fromUser?: string): Promise<ErasureResult | null> {
  const into = o.store.meta("merged_into");
  if (into && !fromUser) return profileStub(o.env, site, into).erase(site, into);
  if (!o.store.holdsAnything() && o.outbox.buffered() === 0) return null;
  const merged = o.store.mergedRows();
  const profile = o.store.profile();
  const anonymous_ids = [...new Set([...(profile?.anonymous_ids ?? []), ...merged.map((m) => m.anon_id)])];
  let key: string | null = null;
  if (!fromUser) {
    const requested_at = new Date().toISOString();
    key = erasureKey(site, id, requested_at);
    const rec: ErasureRecord = { type: "erasure", site, id, user_id: profile?.user_id ?? null, anonymous_ids, requested_at };
    await o.env.LAKE.put(key, JSON.stringify(rec), { httpMetadata: { contentType: "application/json" } });
  }
  let objects = 1;
  let dropped = 0;
  for (const m of merged) {
    if (m.outcome !== "merged") continue;
    const r = await profileStub(o.env, site, m.anon_id).erase(site, m.anon_id, id);
    if (r) {
      objects += r.objects;
      dropped += r.buffered_events_dropped;
    }
  }
  const now = Date.now();
  dropped += o.transaction(() => {
    const n = o.outbox.clear();
    o.store.erase();
    o.schedule.clearAll();
    o.planPrune(now);
    return n;
  });
  await o.schedule.arm();
  o.subs.closeAll("profile erased", { type: "erased", events: [], profile: null });
  return { id, anonymous_ids, deletion_record: key, objects, buffered_events_dropped: dropped };
}
