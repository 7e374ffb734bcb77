/** Reading the bench entry's operation counters, and waiting for the lake to catch up. */
import { diffCounters, type Counters } from "./cost";
import type { Server } from "./servers";

export async function counters(c: Server): Promise<Counters> {
  return (await (await fetch(`${c.url}/__bench/counters`)).json()) as Counters;
}

/** Waits until every event the objects accepted since `before` has gone through the queue to R2. */
export async function drain(c: Server, before: Counters, eventsPerBeacon: number, timeoutMs = 60_000): Promise<Counters> {
  const end = Date.now() + timeoutMs;
  let last = "";
  let stableSince = Date.now();
  for (;;) {
    const now = diffCounters(await counters(c), before);
    const key = JSON.stringify(now);
    if (key !== last) {
      last = key;
      stableSince = Date.now();
    }
    const done = now.events_in_messages >= now.profile_requests * eventsPerBeacon && (now.profile_requests === 0 || now.r2_puts > 0);
    if (done && Date.now() - stableSince > 1500) return now;
    if (Date.now() > end) throw new Error(`the lake did not catch up within ${timeoutMs} ms: ${key}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
