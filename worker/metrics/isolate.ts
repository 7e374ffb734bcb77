/**
 * Per-request metrics (requests, bytes in, ingest latency, refusals by reason, status classes)
 * are summed in the isolate's memory and sent at most every FLUSH_MS through waitUntil, so a
 * busy site costs its stats object one write per isolate every few seconds, not one per request.
 * Best effort: an isolate that is evicted before its flush loses those few seconds of counts.
 */
import { Delta } from "./delta";
import { report } from "./report";

export const FLUSH_MS = 2_000;

let pending = new Delta();
let scheduled: Promise<void> | null = null;
let scheduledAt = 0;

/** The delta being gathered in this isolate (to add to). */
export function isolateDelta(): Delta {
  return pending;
}

/** Makes sure a flush is on its way; `waitUntil` keeps the request alive for it. */
export function scheduleIsolateFlush(env: Env, waitUntil: (p: Promise<unknown>) => void, delayMs = FLUSH_MS): void {
  // A flush whose request was cut short never clears its flag: give up on it after 30 s.
  if (scheduled && Date.now() - scheduledAt < 30_000) return;
  scheduledAt = Date.now();
  scheduled = (async () => {
    await new Promise((r) => setTimeout(r, delayMs));
    const d = pending;
    pending = new Delta();
    scheduled = null;
    await report(env, d);
  })();
  waitUntil(scheduled);
}
