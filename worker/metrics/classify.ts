/**
 * What one ingest answer means for the metrics: accepted and duplicate events, and refusals by
 * reason, read from the status and the JSON body the route answered. Pure.
 *
 * Reasons: invalid_event (counted per refused event or message), and per request:
 * invalid_envelope, not_json, too_large, unsupported_media_type, unknown_site,
 * origin_not_allowed, unauthorized, rate_limited, bad_request.
 */
export interface Outcome {
  accepted: number;
  duplicates: number;
  rejected: Record<string, number>;
}

const n = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);

export function classify(status: number, body: unknown): Outcome {
  const b = (body && typeof body === "object" ? body : {}) as { accepted?: unknown; duplicates?: unknown; rejected?: unknown; error?: unknown };
  const refused = Array.isArray(b.rejected) ? b.rejected.length : 0;
  const out: Outcome = { accepted: n(b.accepted), duplicates: n(b.duplicates), rejected: {} };
  if (status < 300) {
    if (refused) out.rejected.invalid_event = refused;
    return out;
  }
  if (status >= 500) return { accepted: 0, duplicates: 0, rejected: {} };
  out.rejected[reasonOf(status, typeof b.error === "string" ? b.error : "", refused)] = refused || 1;
  return out;
}

function reasonOf(status: number, error: string, refused: number): string {
  switch (status) {
    case 401:
      return "unauthorized";
    case 403:
      return error === "unknown site" ? "unknown_site" : "origin_not_allowed";
    case 413:
      return "too_large";
    case 415:
      return "unsupported_media_type";
    case 429:
      return "rate_limited";
  }
  if (refused > 0 || /^(no valid (events|messages)|invalid message)$/.test(error)) return "invalid_event";
  if (/^(invalid envelope|invalid batch|body must be)/.test(error)) return "invalid_envelope";
  if (/^body is not JSON/.test(error)) return "not_json";
  if (/(over the limit|the limit is)/.test(error)) return "too_large";
  return "bad_request";
}
