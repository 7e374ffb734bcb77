/**
 * The ingest pipeline shared by every entry point (browser beacons, and server APIs):
 * validate each event -> enrich -> the user's Durable Object. HTTP concerns stay in routes/.
 */
import type { Envelope } from "../schemas";
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

export async function ingest(env: Env, envelope: Envelope, facts: RequestFacts, opts: IngestOptions = {}): Promise<IngestOutcome> {
  const { valid, rejected } = validateEvents(envelope.events);
  if (rejected.length && opts.defer) {
    const rows = rejected.map((r) => rejectedRow(envelope.site, facts.receivedMs, "invalid_event", r, envelope.events[r.index]));
    opts.defer(keepRejected(env, envelope.site, rows));
  }
  if (valid.length === 0) return { accepted: 0, duplicates: 0, rejected };
  const scrubParams = sites(env).get(envelope.site)?.scrub_params ?? [];
  const records = enrichEvents(envelope, valid.map((v) => v.event), { ...facts, scrubParams });
  const owner = ownerOf(envelope);
  const result = await profileStub(env, envelope.site, owner).ingest(envelope.site, owner, records);
  return { accepted: result.accepted, duplicates: result.duplicates, rejected };
}
