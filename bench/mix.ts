/**
 * The realistic mix: visitors as the snippet produces them, plus a backend's Segment batches.
 *
 * A visitor's session is several beacons (1-8, mean ~3) of 1-8 events (median 3). The snippet
 * sends at most every 5 s while a visitor is active (client-snippet/src/client.ts), so a
 * session's next beacon is sent only once `minGapMs` has passed since its last one; until then
 * the request goes to a visitor who starts a session: a new one, or (a `returning` share) one
 * whose earlier session ended at least `idleMs` ago, whose object has gone idle. So the share of
 * new visitors follows from the rate, like on a site whose traffic is steady.
 *
 * A `serverShare` of requests is a Segment /v1/batch from the site's backend (server key):
 * 10-40 track messages (product views, orders) for logged-in customers.
 *
 * Pure apart from `now` and `rand`, which the caller passes (tests make both deterministic).
 */
import { benchEvent } from "./bodies";

export interface MixOptions {
  site: string;
  /** Unique per run: user, session and event ids start with it. */
  runId: string;
  minGapMs: number;
  returning: number;
  idleMs: number;
  serverShare: number;
  serverKey: string;
  customers: number;
}

export interface MixRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
  events: number;
  kind: "beacon" | "server";
  /** For beacons: the first of a new visitor, of a returning one, or a later one of a session. */
  visitor?: "new" | "returning" | "session";
}

/** Beacons per session and events per beacon, as weights for 1..8. */
const BEACONS = [0.2, 0.2, 0.2, 0.15, 0.1, 0.07, 0.05, 0.03];
const EVENTS = [0.15, 0.2, 0.2, 0.15, 0.1, 0.08, 0.07, 0.05];

export function pick(weights: readonly number[], r: number): number {
  let acc = 0;
  for (let i = 0; i < weights.length; i++) {
    acc += weights[i]!;
    if (r < acc) return i + 1;
  }
  return weights.length;
}

interface Session {
  user: string;
  id: string;
  left: number;
  lastAt: number;
  n: number;
}

export const BROWSER_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

export class Mix {
  private readonly active: Session[] = [];
  private head = 0;
  private readonly ended: { user: string; at: number }[] = [];
  private users = 0;
  private sessions = 0;
  private seq = 0;
  readonly counts = { new: 0, returning: 0, session: 0, server: 0 };

  constructor(
    private readonly o: MixOptions,
    private readonly rand: () => number = Math.random,
  ) {}

  next(now: number): MixRequest {
    if (this.rand() < this.o.serverShare) return this.server(now);
    const s = this.active[this.head];
    if (s && now - s.lastAt >= this.o.minGapMs) {
      this.head++;
      if (this.head > 1024) this.active.splice(0, this.head), (this.head = 0);
      this.counts.session++;
      return this.beacon(s, now, "session");
    }
    const back = this.ended.length > 0 && this.rand() < this.o.returning && now - this.ended[0]!.at >= this.o.idleMs;
    const user = back ? this.ended.shift()!.user : `${this.o.runId}-v${this.users++}`;
    this.counts[back ? "returning" : "new"]++;
    const session: Session = { user, id: `${this.o.runId}-s${this.sessions++}`, left: pick(BEACONS, this.rand()), lastAt: now, n: 0 };
    return this.beacon(session, now, back ? "returning" : "new");
  }

  private beacon(s: Session, now: number, visitor: MixRequest["visitor"]): MixRequest {
    const n = pick(EVENTS, this.rand());
    const events = [];
    for (let k = 0; k < n; k++, s.n++) {
      // A session opens with a page view; then the usual browsing mix.
      const i = s.n === 0 ? 0 : 1 + ((s.n * 7) % 9);
      events.push(benchEvent(`${s.id}-${s.n}`, i, new Date(now - (n - k) * 400).toISOString()));
    }
    s.left--;
    s.lastAt = now;
    if (s.left > 0) this.active.push(s);
    else this.ended.push({ user: s.user, at: now });
    const body = {
      site: this.o.site,
      anonymous_id: s.user,
      session_id: s.id,
      sent_at: new Date(now).toISOString(),
      context: { page_url: `https://shop.example/c/shoes?utm_source=news&utm_medium=email&p=${s.n}`, referrer: "https://www.google.com/", title: "Shoes", locale: "en-GB", timezone: "Europe/London", screen: { w: 1440, h: 900 } },
      events,
    };
    return { path: "/v1/collect", headers: { "content-type": "text/plain;charset=UTF-8", "user-agent": BROWSER_UA }, body: JSON.stringify(body), events: n, kind: "beacon", visitor };
  }

  private server(now: number): MixRequest {
    this.counts.server++;
    const n = 10 + Math.floor(this.rand() * 31);
    const batch = [];
    for (let k = 0; k < n; k++) {
      const userId = `${this.o.runId}-c${Math.floor(this.rand() * this.o.customers)}`;
      const messageId = `${this.o.runId}-m${this.seq++}`;
      const timestamp = new Date(now - k * 50).toISOString();
      const sku = `sku-${Math.floor(this.rand() * 500)}`;
      batch.push(
        k % 4 === 3
          ? { type: "track", event: "Order Completed", userId, messageId, timestamp, properties: { order_id: `o-${messageId}`, revenue: 59.9, currency: "EUR", products: [{ product_id: sku, quantity: 1, price: 59.9 }] } }
          : { type: "track", event: "Product Viewed", userId, messageId, timestamp, properties: { product_id: sku, category: "shoes", brand: "acme", price: 59.9, currency: "EUR" } },
      );
    }
    return {
      path: "/v1/batch",
      headers: { "content-type": "application/json", authorization: `Basic ${btoa(`${this.o.serverKey}:`)}`, "user-agent": "analytics-node-next/latest" },
      body: JSON.stringify({ batch, sentAt: new Date(now).toISOString() }),
      events: n,
      kind: "server",
    };
  }
}
