/**
 * What one ingest answer means for the metrics: accepted and duplicate events from the JSON
 * body, and a refusal under the reason the route set (worker/answers.ts). Pure.
 * invalid_event is counted per refused event or message, other reasons once per request.
 */
export interface Outcome {
  accepted: number;
  duplicates: number;
  rejected: Record<string, number>;
}

const n = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);

export function classify(status: number, body: unknown, reason?: string): Outcome {
  const b = (body && typeof body === "object" ? body : {}) as { accepted?: unknown; duplicates?: unknown; rejected?: unknown };
  const refused = Array.isArray(b.rejected) ? b.rejected.length : 0;
  const out: Outcome = { accepted: n(b.accepted), duplicates: n(b.duplicates), rejected: {} };
  if (status < 300) {
    if (refused) out.rejected.invalid_event = refused;
    return out;
  }
  if (status >= 500) return { accepted: 0, duplicates: 0, rejected: {} };
  // The route names its reason (worker/answers.ts); a refusal that did not is a plain bad request.
  out.rejected[reason ?? (status === 401 ? "unauthorized" : status === 429 ? "rate_limited" : "bad_request")] = refused || 1;
  return out;
}
