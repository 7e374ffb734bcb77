/**
 * Request headers the browser SDKs' preflights ask for, on the Segment-compatible routes and
 * the settings documents. analytics.js: Authorization (Basic write key), Content-Type
 * (text/plain), X-Retry-Count. RudderStack v3: Authorization, Content-Type (application/json),
 * AnonymousId, SentAt, and on retries Rsa-Retry-Attempt, Rsa-Since-Last-Attempt,
 * Rsa-Since-First-Attempt, Rsa-Retry-Reason (any `rsa-*` is allowed, so a newer SDK's next
 * retry header does not break delivery). Pure.
 */
export const SDK_REQUEST_HEADERS = ["authorization", "content-type", "content-encoding", "anonymousid", "sentat", "x-retry-count"] as const;

const FIXED = new Set<string>(SDK_REQUEST_HEADERS);
const RSA = /^rsa-[a-z0-9-]{1,40}$/;

/** The Access-Control-Allow-Headers value for a preflight's Access-Control-Request-Headers. */
export function allowedRequestHeaders(requested: string | null | undefined): string {
  const extra = (requested ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter((h) => RSA.test(h) && !FIXED.has(h));
  return [...SDK_REQUEST_HEADERS, ...new Set(extra)].slice(0, 30).join(", ");
}
