/**
 * Request headers the browser SDKs' preflights ask for, on the Segment-compatible routes and
 * the settings documents. analytics.js: Authorization (Basic write key), Content-Type
 * (text/plain), X-Retry-Count. RudderStack v3: Authorization, Content-Type (application/json),
 * AnonymousId, SentAt, and on retries Rsa-Retry-Attempt, Rsa-Since-Last-Attempt,
 * Rsa-Since-First-Attempt, Rsa-Retry-Reason (@rudderstack/analytics-js 3.34, XhrQueue).
 */
export const SDK_REQUEST_HEADERS = [
  "Authorization", "Content-Type", "Content-Encoding", "AnonymousId", "SentAt", "X-Retry-Count",
  "Rsa-Retry-Attempt", "Rsa-Since-Last-Attempt", "Rsa-Since-First-Attempt", "Rsa-Retry-Reason",
] as const;
