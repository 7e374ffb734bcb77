/** Reading the bench entry's operation counters, and waiting until the lake has caught up. */
import { diffCounters, type Counters } from "./cost";
import type { Server } from "./servers";

/**
 * The longest a user object waits before dropping a sent chunk on its own (dropGraceMs in
 * durable-objects/outbox.ts, at most 8 s at any flush interval), plus a second.
 * durable-objects/outbox.unit.test.ts checks that bound.
 */
export const TRAILING_MS = 9_000;

export async function readCounters(url: string): Promise<Counters> {
  return (await (await fetch(`${url}/__bench/counters`)).json()) as Counters;
}

/**
 * Waits until at least `events` records have gone through the queue since `before` (timer
 * events count too), something reached R2, and the counters stood still for `quietMs`
 * (alarms, consumer batches and metrics writes settle), and not before `notBefore` (epoch ms).
 * Returns the difference.
 */
export async function drain(url: string, before: Counters, events: number, opts: { timeoutMs?: number; quietMs?: number; notBefore?: number } = {}): Promise<Counters> {
  const end = Date.now() + (opts.timeoutMs ?? 60_000);
  const quiet = opts.quietMs ?? 1500;
  let last = "";
  let stableSince = Date.now();
  for (;;) {
    const now = diffCounters(await readCounters(url), before);
    const key = JSON.stringify(now);
    if (key !== last) {
      last = key;
      stableSince = Date.now();
    }
    const done = now.events_in_messages >= events && (events === 0 || now.r2_puts > 0);
    if (done && Date.now() - stableSince > quiet && Date.now() >= (opts.notBefore ?? 0)) return now;
    if (Date.now() > end) throw new Error(`the lake did not catch up within ${opts.timeoutMs ?? 60_000} ms (${events} events expected): ${key}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * After `drain`: waits until `trailingMs` have passed since `caughtUpAt` and the counters stood
 * still for `quietMs`, and returns the difference since `before`. What a phase set off still
 * writes after its events reached the lake (a user object drops its sent chunk from the state
 * row dropGraceMs after the flush when no other write came first) then counts for that phase,
 * and no longer runs during, and is counted in, the next one.
 */
export function settle(url: string, before: Counters, caughtUpAt: number, trailingMs: number, quietMs = 1500): Promise<Counters> {
  return drain(url, before, 0, { quietMs, notBefore: caughtUpAt + trailingMs, timeoutMs: trailingMs + 60_000 });
}

/** The counters of a server (bench/recs.ts). */
export function counters(c: Pick<Server, "url">): Promise<Counters> {
  return readCounters(c.url);
}

/** Waits until every beacon the objects took since `before` (of `eventsPerBeacon` events each) is in the lake. */
export async function drainBeacons(c: Pick<Server, "url">, before: Counters, eventsPerBeacon: number, timeoutMs = 60_000): Promise<Counters> {
  const requests = diffCounters(await readCounters(c.url), before).profile_requests;
  return drain(c.url, before, requests * eventsPerBeacon, { timeoutMs });
}
