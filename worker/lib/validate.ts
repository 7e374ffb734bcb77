/** Turning untrusted JSON into an envelope and per-event verdicts. Pure; no Workers APIs. */
import type { z } from "zod";
import { envelopeSchema, eventSchema, eventTime, fastParser, parseTime, SERVER_EVENT_TYPES, UNSURE, type CollectEvent, type Envelope, type TimeSource } from "../../schemas";

export interface FieldError {
  path: string;
  message: string;
}
export interface Rejection {
  index: number;
  id: string | null;
  errors: FieldError[];
}

/** zod issues -> `{path: "props.product_id", message}`; unknown keys get their own path each. */
export function toFieldErrors(issues: readonly z.core.$ZodIssue[], prefix: (string | number)[] = []): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of issues) {
    const base = [...prefix, ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push({ path: joinPath([...base, key]), message: "unknown field" });
    } else {
      out.push({ path: joinPath(base), message: issue.message });
    }
  }
  return out;
}

function joinPath(parts: (string | number)[]): string {
  let s = "";
  for (const p of parts) s += typeof p === "number" ? `[${p}]` : s ? `.${p}` : p;
  return s || "(root)";
}

export type EnvelopeResult = { ok: true; envelope: Envelope } | { ok: false; details: FieldError[] };

/**
 * The schemas' fast paths (schemas/fast-parse.ts): the same value as zod for the common valid
 * input, else UNSURE and zod decides (and words the errors).
 */
const fastEnvelope = fastParser(envelopeSchema);
const fastEvent = fastParser(eventSchema);

export function parseEnvelope(body: unknown): EnvelopeResult {
  const fast = fastEnvelope(body);
  if (fast !== UNSURE) return { ok: true, envelope: fast };
  const r = envelopeSchema.safeParse(body);
  return r.success ? { ok: true, envelope: r.data } : { ok: false, details: toFieldErrors(r.error.issues) };
}

export interface EventVerdicts {
  valid: { index: number; event: CollectEvent }[];
  rejected: Rejection[];
}

export function validateEvents(events: readonly unknown[]): EventVerdicts {
  const valid: EventVerdicts["valid"] = [];
  const rejected: Rejection[] = [];
  for (let index = 0; index < events.length; index++) {
    if (!(index in events)) continue; // a hole, skipped as forEach did
    const raw = events[index];
    // eventSchema has no server-made types, so an accepted event is never one.
    const fast = fastEvent(raw);
    if (fast !== UNSURE) {
      valid.push({ index, event: fast });
      continue;
    }
    const type = raw && typeof raw === "object" ? (raw as { type?: unknown }).type : undefined;
    if (typeof type === "string" && (SERVER_EVENT_TYPES as readonly string[]).includes(type)) {
      rejected.push({ index, id: idOf(raw), errors: [{ path: "type", message: `${type} is made by the collector itself; clients may not send it` }] });
      continue;
    }
    const r = eventSchema.safeParse(raw);
    if (r.success) valid.push({ index, event: r.data });
    else rejected.push({ index, id: idOf(raw), errors: toFieldErrors(r.error.issues) });
  }
  return { valid, rejected };
}

/**
 * The window check (schemas/time.ts): events whose (corrected) time falls outside it move from
 * `valid` to `rejected`, at path `ts` (or `sent_at`). Index order is kept.
 */
export function checkEventTimes(sentAt: string, verdicts: EventVerdicts, receivedMs: number, source: TimeSource): EventVerdicts {
  const valid: EventVerdicts["valid"] = [];
  const rejected = [...verdicts.rejected];
  const sentMs = source === "browser" ? parseTime(sentAt) : null; // once per beacon
  for (const v of verdicts.valid) {
    const t = eventTime({ receivedMs, sentAt, sentMs, ts: v.event.ts, source });
    if (t.ok) valid.push(v);
    else rejected.push({ index: v.index, id: v.event.id, errors: [{ path: t.path, message: t.message }] });
  }
  rejected.sort((a, b) => a.index - b.index);
  return { valid, rejected };
}

function idOf(raw: unknown): string | null {
  if (raw && typeof raw === "object" && "id" in raw) {
    const id = (raw as { id: unknown }).id;
    if (typeof id === "string") return id.slice(0, 64);
  }
  return null;
}
