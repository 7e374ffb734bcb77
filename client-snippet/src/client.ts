/**
 * The core: identity, session, consent, the in-memory queue, batching and transport
 * (fetch keepalive, sendBeacon when the page hides, the localStorage outbox with backoff).
 * Auto-capture lives in auto.ts; this part also works alone (auto: false).
 *
 * Delivery: a batch goes into the outbox before it is fetched and leaves it on a 2xx or a
 * 4xx (4xx is never retried); on 429, 5xx, a network error or offline it stays and is
 * retried with backoff and at once on `online`. Retries reuse event ids, so the collector's
 * dedup makes the delivery exactly once. A beacon the browser accepted is not kept.
 */
import { backoff } from "./backoff";
import { KEYS } from "./keys";
import { pack } from "./pack";
import { eventId, get, outbox, put, rid, session } from "./store";
import type { Batch, Client, Config, ConsentState, Context, Flat, WireEvent } from "./types";

export interface Core extends Omit<Client, "track"> {
  /** Client["track"], untyped, with an optional fixed page context (engagement belongs to the page it was measured on). */
  track(type: string, props: object, ctx?: Context): void;
  _ctx(): Context;
  /** Set by auto-capture: tracks engagement, run before the page-hide flush. */
  _hook?: () => void;
  _safe<A extends unknown[]>(f: (...a: A) => unknown): (...a: A) => void;
}

const P = "_ec_";
const AID = P + "aid";
const UID = P + "uid";
const SID = P + "sid";
const CONSENT = P + "consent";

/** Custom properties must be flat: strings, numbers and booleans are kept, the rest dropped. */
const flat = (o: Record<string, unknown>): Flat => {
  const r: Flat = {};
  for (const k in o) if (/^[sbn]/.test(typeof o[k])) r[k] = o[k] as Flat[string];
  return r;
};
/** Events that recommendations follow: sent within 250 ms. */
const PRIO = /^(product_view|product_click|search|add_to_cart|remove_from_cart|purchase|identify|consent)$/;
/** true or "true" (data attributes are strings). */
const yes = (v: unknown) => v + "" == "true";

export function client(cfg: Config): Core {
  const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
  const log = (...a: unknown[]): void => void (yes(cfg.debug) && console.warn(...a));
  const safe =
    <A extends unknown[]>(f: (...a: A) => unknown) =>
    (...a: A): void => {
      try {
        f(...a);
      } catch (e) {
        log(e);
      }
    };
  const off = yes(cfg.respectDnt) && !!(nav.globalPrivacyControl || nav.doNotTrack == "1");
  const url = cfg.endpoint || "/v1/collect";
  const ob = outbox(P + "outbox", +cfg.outboxSize! || 1000);
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const q: Batch[] = [];
  let consent = (get(CONSENT) || cfg.consent) as ConsentState | undefined;
  let aid = off ? "" : get(AID) || "";
  let uid = get(UID) || "";
  let timer: ReturnType<typeof setTimeout> | 0 = 0;
  let soon: ReturnType<typeof setTimeout> | 0 = 0;
  let retryTimer: ReturnType<typeof setTimeout> | 0 = 0;
  let attempt = 0;
  const on = () => !off && consent != "denied";
  const newAid = () => put(AID, (aid = rid(20)));
  if (!off && !aid) newAid();

  const ctx = (): Context => ({
    page_url: location.href.slice(0, 2048),
    referrer: document.referrer.slice(0, 2048),
    title: document.title.slice(0, 512),
    locale: nav.language,
    timezone: tz,
    screen: { w: screen.width, h: screen.height },
  });

  const add = (type: string, props: object = {}, c?: Context | 0, force?: 1) => {
    if (!on() && !force) return;
    // A name like "toString" finds no string here, throws, and the event is dropped.
    const keys: string | undefined = KEYS[type as keyof typeof KEYS];
    let p: Record<string, unknown> = {};
    if (keys) for (const k of keys.split(" ")) p[k] = (props as Record<string, unknown>)[k];
    // Any other name is a custom event.
    else p = { name: type.slice(0, 128), properties: flat(props as Record<string, unknown>) };
    const now = Date.now();
    const ev: WireEvent = { id: eventId(now), type: keys ? (type as WireEvent["type"]) : "custom", ts: new Date(now).toISOString(), props: p };
    q.push({
      // consent: the visitor's choice once made (sites with consent_mode "required" act on it).
      h: { site: cfg.site, anonymous_id: aid, user_id: uid || undefined, session_id: session(SID, now), consent, context: c || ctx() },
      // A copy: later changes to the caller's objects do not leak in, and props that JSON
      // cannot carry (cycles) throw here, inside safe(), not later in a flush.
      e: [JSON.parse(JSON.stringify(ev))],
    });
    if (q.length >= (+cfg.batchSize! || 20)) flush();
    // What recommendations follow leaves within 250 ms: one window, so a click and the view it
    // causes are one request. The rest waits for the batch interval (or goes along).
    else if (PRIO.test(type)) soon ||= setTimeout(flush, 250);
    else timer ||= setTimeout(flush, +cfg.flushInterval! || 5000);
  };

  const fail = () => {
    retryTimer ||= setTimeout(retry, backoff(attempt++));
  };

  const post = async (b: Batch, body: string, keepalive?: boolean) => {
    try {
      const r = await fetch(url, { method: "POST", body, keepalive });
      if (r.status == 429 || r.status > 499) throw r.status;
      if (!r.ok) log(r.status, "dropped");
      ob.del(b.e.map((e) => e.id));
      attempt = 0;
    } catch (e) {
      log(e);
      fail();
    }
  };

  /**
   * Sends batches; when the page hides, by sendBeacon first (it outlives the page), else by
   * fetch, with keepalive only when the page hides. Every fetched batch is in the outbox
   * before the request starts, so a request cut off by a navigation is sent again by the next
   * page; the 64 KiB keepalive budget is left to the page-hide path.
   */
  const send = async (bs: Batch[], hide?: boolean, fromOutbox?: boolean) => {
    // Consent is checked when an event is queued: denial empties queue and outbox.
    if (!off)
      await Promise.all(
        pack(bs, new Date().toISOString(), +cfg.maxBytes! || 6e4).map(
          ([b, body]) => (hide && nav.onLine && nav.sendBeacon?.(url, body)) || (fromOutbox || ob.add(b), post(b, body, hide)),
        ),
      );
  };

  async function flush(hide?: boolean) {
    clearTimeout(timer);
    clearTimeout(soon);
    timer = soon = 0;
    await send(q.splice(0), hide);
  }

  async function retry() {
    clearTimeout(retryTimer);
    retryTimer = 0;
    await send(ob.all(), false, true);
  }

  const hide = () => {
    api._hook?.();
    flush(true);
  };
  addEventListener("online", safe(() => ((attempt = 0), retry())));
  addEventListener("pagehide", safe(hide));
  document.addEventListener("visibilitychange", safe(() => document.hidden && hide()));
  // What an earlier page left behind.
  setTimeout(retry);

  const api: Core = {
    track: safe(add),
    // The URL and title are in the event's context.
    page: safe(() => add("page_view", { path: location.pathname })),
    // Without consent (or with the privacy signals) the user id is not stored either.
    identify: safe((id: string, traits?: Flat) => {
      if (on()) {
        put(UID, (uid = (id + "").slice(0, 128)));
        if (traits) add("identify", traits);
        flush();
      }
    }),
    // The choice goes to the collector at once, as a custom "consent" event whose envelope
    // carries it: a consent_mode "required" site releases (granted) or purges (denied) what it
    // holds for the visitor. After a denial that event is the only one sent.
    consent: safe((s: ConsentState) => {
      put(CONSENT, (consent = s));
      if (!on()) {
        q.length = 0;
        ob.clear();
      }
      if (!off) add("consent", { state: s }, 0, 1);
    }),
    flush: () => flush().catch(log),
    reset: safe(() => {
      if (!off) {
        uid = "";
        put(UID);
        put(SID);
        newAid();
      }
    }),
    ids: () => ({ anonymous_id: aid, user_id: uid || undefined }),
    _ctx: ctx,
    _safe: safe,
  };
  return api;
}
