/**
 * Refusals, one shape everywhere: `{"error", "details": [{"path", "message"}]}` with a 4xx,
 * and the reason the metrics count it under, set explicitly by the route (never guessed from
 * the message text). Reasons: invalid_event, invalid_envelope, not_json, too_large,
 * unsupported_media_type, unknown_site, origin_not_allowed, unauthorized, forbidden,
 * rate_limited, bad_request.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { FieldError } from "./lib/validate";

export type Reason =
  | "invalid_event"
  | "invalid_envelope"
  | "not_json"
  | "too_large"
  | "unsupported_media_type"
  | "unknown_site"
  | "origin_not_allowed"
  | "unauthorized"
  | "forbidden"
  | "rate_limited"
  | "bad_request";

declare module "hono" {
  interface ContextVariableMap {
    /** Why the request was refused, for the metrics (middleware/observe.ts). */
    reason: Reason;
    /** The JSON body an ingest route answered with, so the metrics need not read the response again. */
    answer: unknown;
  }
}

/** An ingest route's JSON answer, kept for the metrics (middleware/observe.ts). */
export function answer(c: Context, body: Record<string, unknown>, status: ContentfulStatusCode) {
  c.set("answer", body);
  return c.json(body, status);
}

export function refuse(c: Context, status: ContentfulStatusCode, reason: Reason, error: string, details: FieldError[] = [], extra: Record<string, unknown> = {}) {
  c.set("reason", reason);
  return answer(c, { ...extra, error, details }, status);
}

/**
 * A site that is not configured. Writes answer 403 (the public contract of /v1/collect: a
 * sender may not send there, whether or not it exists); reads answer 404 (the resource under
 * that site does not exist). Both name the `site` field.
 */
export function unknownSite(c: Context, site: string, on: "write" | "read", extra: Record<string, unknown> = {}) {
  return refuse(c, on === "write" ? 403 : 404, "unknown_site", "unknown site", [{ path: "site", message: `no site "${site.slice(0, 64)}" is configured` }], extra);
}
