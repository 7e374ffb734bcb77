/**
 * The ingest pipeline shared by every entry point (browser beacons, and server APIs):
 * validate each event -> identity -> enrich -> the user's Durable Object. HTTP concerns stay in routes/.
 */
import type { Envelope, IdentityStatus } from "../schemas";
import type { Env } from "./env";
import { enrichEvents, type RequestFacts } from "./lib/enrich";
import { resolveIdentity } from "./lib/identity";
import { validateEvents, type Rejection } from "./lib/validate";
import { profileStub } from "../durable-objects/stub";
import { keepRejected, rejectedRow } from "./rejections";
import { siteSecret, sites } from "./sites";

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

export interface IngestOptions {
  /** Work that must finish but not delay the answer (ExecutionContext.waitUntil). */
  defer?: (p: Promise<unknown>) => void;
}

export async function ingest(env: Env, envelope: Envelope, facts: RequestFacts, opts: IngestOptions = {}): Promise<IngestOutcome> {
  const { valid, rejected } = validateEvents(envelope.events);
  // identify events name the user; without an envelope user_id the first one sets it, and
  // every identify event in the beacon must agree with it.
  let claimed = envelope.user_id ?? null;
  const events = valid.filter(({ index, event }) => {
    if (event.type !== "identify") return true;
    claimed ??= event.props.user_id;
    if (event.props.user_id === claimed) return true;
    rejected.push({ index, id: event.id, errors: [{ path: "props.user_id", message: "must equal the beacon's user_id" }] });
    return false;
  });
  rejected.sort((a, b) => a.index - b.index);
  if (rejected.length && opts.defer) {
    const rows = rejected.map((r) => rejectedRow(envelope.site, facts.receivedMs, "invalid_event", r, envelope.events[r.index]));
    opts.defer(keepRejected(env, envelope.site, rows));
  }
  if (events.length === 0) return { accepted: 0, duplicates: 0, rejected };

  const site = sites(env).get(envelope.site);
  const who = await resolveIdentity(
    { user_id: claimed, user_id_sig: envelope.user_id_sig ?? null },
    { required: site?.require_identity_signature ?? false, secret: siteSecret(env, envelope.site).identity_secret ?? null },
  );
  const resolved: Envelope = { ...envelope, user_id: who.user_id ?? undefined };
  const scrubParams = site?.scrub_params ?? [];
  const records = enrichEvents(resolved, events.map((v) => v.event), { ...facts, scrubParams }, who.identity as IdentityStatus);
  const owner = ownerOf(resolved);
  const result = await profileStub(env, envelope.site, owner).ingest(envelope.site, owner, records);
  return { accepted: result.accepted, duplicates: result.duplicates, rejected };
}
