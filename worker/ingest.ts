/**
 * The ingest pipeline shared by every entry point (browser beacons, and server APIs):
 * validate each event -> identity -> enrich -> the user's Durable Object. HTTP concerns stay in routes/.
 * `ingest` does it for one envelope; `prepare` and `store` are its two halves, for callers
 * that gather the records of many envelopes (one per Segment message) into one call per user.
 */
import { packRecords, type CollectEvent, type Envelope, type IdentityStatus, type StoredRecord } from "../schemas";
import { enrichEvents, type RequestFacts } from "./lib/enrich";
import { resolveIdentity } from "./lib/identity";
import { checkEventTimes, validateEvents, type Rejection } from "./lib/validate";
import { profileStub } from "../durable-objects/stub";
import { keepRejected, rejectedRow } from "./rejections";
import { siteSecrets, sites } from "./sites";

export interface IngestOutcome {
  accepted: number;
  duplicates: number;
  rejected: Rejection[];
}

/**
 * The object that owns a beacon: one per (site, user_id or anonymous_id). Pass the envelope
 * after identity resolution (an untrusted user_id has been removed). An anonymous object that
 * was merged into a user forwards to the user's object itself.
 */
export function ownerOf(envelope: Pick<Envelope, "user_id" | "anonymous_id">): string {
  return envelope.user_id ?? envelope.anonymous_id;
}

export interface DeferOptions {
  /** Work that must finish but not delay the answer (ExecutionContext.waitUntil). */
  defer?: (p: Promise<unknown>) => void;
}

/** Validate each event of an envelope and enrich the valid ones. Pure. */
export function prepare(envelope: Envelope, facts: RequestFacts, identity?: IdentityStatus): { records: StoredRecord[]; rejected: Rejection[] } {
  const { valid, rejected } = checkedEvents(envelope, facts);
  if (valid.length === 0) return { records: [], rejected };
  return { records: enrichEvents(envelope, valid.map((v) => v.event), facts, identity), rejected };
}

/** Schema, then time window (schemas/time.ts): browsers skew-corrected, server keys as sent. */
function checkedEvents(envelope: Envelope, facts: RequestFacts) {
  return checkEventTimes(envelope.sent_at, validateEvents(envelope.events), facts.receivedMs, facts.serverKey ? "server" : "browser");
}

/** One call to the owner's object: dedup, merge, profile, durable buffer. The records travel packed (schemas/packed.ts). */
export async function store(env: Env, site: string, owner: string, records: StoredRecord[], consent?: Envelope["consent"], serverKey = false) {
  return profileStub(env, site, owner).ingest(site, owner, packRecords(records), { ...(consent ? { consent } : {}), ...(serverKey ? { server: true } : {}) });
}

/** Refused events are kept in rejected/ (see rejections.ts), off the answer's path. */
export function deferRejected(env: Envelope, rejected: Rejection[], receivedMs: number, opts: DeferOptions, e: Env): void {
  if (!rejected.length || !opts.defer) return;
  const rows = rejected.map((r) => rejectedRow(env.site, receivedMs, "invalid_event", r, env.events[r.index], env));
  opts.defer(keepRejected(e, env.site, rows));
}

/**
 * identify events name the user: without an envelope user_id the first one sets it, and every
 * identify event of the beacon must agree with it (the others are rejected at props.user_id).
 */
export function claimedUser(envelope: Envelope, valid: { index: number; event: CollectEvent }[], rejected: Rejection[]) {
  let claimed = envelope.user_id ?? null;
  const events = valid.filter(({ index, event }) => {
    if (event.type !== "identify") return true;
    claimed ??= event.props.user_id;
    if (event.props.user_id === claimed) return true;
    rejected.push({ index, id: event.id, errors: [{ path: "props.user_id", message: "must equal the beacon's user_id" }] });
    return false;
  });
  rejected.sort((a, b) => a.index - b.index);
  return { claimed, events };
}

/** The envelope as it may be filed: an untrusted user_id removed (see lib/identity.ts), and why. */
export async function trustedEnvelope(env: Env, envelope: Envelope, claimed: string | null): Promise<{ envelope: Envelope; identity: IdentityStatus }> {
  const site = sites(env).get(envelope.site);
  const who = await resolveIdentity(
    { user_id: claimed, user_id_sig: envelope.user_id_sig ?? null },
    { required: site?.require_identity_signature ?? false, secret: siteSecrets(env).get(envelope.site)?.identity_secret ?? null },
  );
  return { envelope: { ...envelope, user_id: who.user_id ?? undefined }, identity: who.identity };
}

export async function ingestEnvelope(env: Env, envelope: Envelope, facts: RequestFacts, opts: DeferOptions = {}): Promise<IngestOutcome> {
  const { valid, rejected: refused } = checkedEvents(envelope, facts);
  const { claimed, events } = claimedUser(envelope, valid, refused);
  deferRejected(envelope, refused, facts.receivedMs, opts, env);
  if (events.length === 0) return { accepted: 0, duplicates: 0, rejected: refused };
  const trusted = await trustedEnvelope(env, envelope, claimed);
  const scrubParams = sites(env).get(envelope.site)?.scrub_params ?? [];
  const records = enrichEvents(trusted.envelope, events.map((v) => v.event), { ...facts, scrubParams }, trusted.identity);
  const result = await store(env, envelope.site, ownerOf(trusted.envelope), records, envelope.consent, facts.serverKey);
  return { accepted: result.accepted, duplicates: result.duplicates, rejected: refused };
}
