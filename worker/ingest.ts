/**
 * The ingest pipeline shared by every entry point (browser beacons, and server APIs):
 * validate each event -> enrich -> the user's Durable Object. HTTP concerns stay in routes/.
 * `ingest` does it for one envelope; `prepare` and `store` are its two halves, for callers
 * that gather the records of many envelopes (one per Segment message) into one call per user.
 */
import type { Envelope, StoredRecord } from "../schemas";
import type { Env } from "./env";
import { enrichEvents, type RequestFacts } from "./lib/enrich";
import { validateEvents, type Rejection } from "./lib/validate";
import { profileStub } from "./routes/profiles";
import { keepRejected, rejectedRow } from "./rejections";
import { sites } from "./sites";

export interface IngestOutcome {
  accepted: number;
  duplicates: number;
  rejected: Rejection[];
}

/** The object that owns a beacon: one per (site, user_id or anonymous_id). */
export function ownerOf(envelope: Pick<Envelope, "user_id" | "anonymous_id">): string {
  return envelope.user_id ?? envelope.anonymous_id;
}

export interface IngestOptions {
  /** Work that must finish but not delay the answer (ExecutionContext.waitUntil). */
  defer?: (p: Promise<unknown>) => void;
}

/** Validate each event of an envelope and enrich the valid ones. Pure. */
export function prepare(envelope: Envelope, facts: RequestFacts): { records: StoredRecord[]; rejected: Rejection[] } {
  const { valid, rejected } = validateEvents(envelope.events);
  if (valid.length === 0) return { records: [], rejected };
  return { records: enrichEvents(envelope, valid.map((v) => v.event), facts), rejected };
}

/** One call to the owner's object: dedup, profile, durable buffer. */
export async function store(env: Env, site: string, owner: string, records: StoredRecord[]) {
  return profileStub(env, site, owner).ingest(site, owner, records);
}

/** Refused events are kept in rejected/ (see rejections.ts), off the answer's path. */
export function deferRejected(env: Envelope, rejected: Rejection[], receivedMs: number, opts: IngestOptions, e: Env): void {
  if (!rejected.length || !opts.defer) return;
  const rows = rejected.map((r) => rejectedRow(env.site, receivedMs, "invalid_event", r, env.events[r.index]));
  opts.defer(keepRejected(e, env.site, rows));
}

export async function ingest(env: Env, envelope: Envelope, facts: RequestFacts, opts: IngestOptions = {}): Promise<IngestOutcome> {
  const scrubParams = sites(env).get(envelope.site)?.scrub_params ?? [];
  const { records, rejected } = prepare(envelope, { ...facts, scrubParams });
  deferRejected(envelope, rejected, facts.receivedMs, opts, env);
  if (records.length === 0) return { accepted: 0, duplicates: 0, rejected };
  const result = await store(env, envelope.site, ownerOf(envelope), records);
  return { accepted: result.accepted, duplicates: result.duplicates, rejected };
}
