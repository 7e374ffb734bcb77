/**
 * Recommendations on the page, live (/personalize.js; ESM: `personalize(ec, config)`).
 *
 * - Containers marked `data-ec-recs="<slot>"` (options: data-limit, data-context,
 *   data-category, data-exclude) are filled from their `<template>` child (or the one named by
 *   data-template): one copy per item; in it, `data-ec-<attr>="<field>"` sets that attribute
 *   to the item's field (`data-ec-text` sets the text). Values are text or attributes, never
 *   HTML; href and src only take http(s) or relative URLs. The first element of each copy gets
 *   data-track="product_click" with data-product-id, data-position, data-list (the slot) and
 *   data-category, so the snippet's click capture reports clicks on recommended items. The
 *   container gets data-ec-count and data-ec-strategy; what it held before the first list is
 *   replaced (a placeholder), the template stays.
 * - `ec.recommend(options, callback)` (or `ec("recommend", options, callback)`, also before
 *   this script loaded) calls back with (items, answer) whenever the list changes; it returns
 *   a function that stops it.
 * - Live: each slot is an EventSource on GET /v1/recommendations/:site/:id/stream (no key: the
 *   visitor's own recommendations, by anonymous id; by user id with data-sig, the HMAC the
 *   site's backend made). A new anonymous id (ec.reset()) or user id reopens the streams.
 * - Impressions: when a container with a new list is at least half visible, one custom event
 *   `recs_impression {list, items (ids, space-separated), count, strategy}`.
 * - Never throws into the page: every entry point is wrapped.
 */
import type { Ids } from "./types";

export interface RecItem {
  product_id: string;
  score: number;
  reasons: string[];
  [field: string]: unknown;
}

/** The body of GET /v1/recommendations/:site/:id and of each `recommendations` frame. */
export interface RecAnswer {
  site: string;
  id: string;
  strategy: string;
  generated_at: string;
  items: RecItem[];
}

export interface RecOptions {
  /** 1-50, default 10. */
  limit?: number | string;
  /** The product on the page: viewed together with it (never itself). */
  context?: string;
  category?: string;
  /** Product ids to leave out, comma-separated. */
  exclude?: string;
}

export type RecCallback = (items: RecItem[], answer: RecAnswer) => void;

export interface PersonalizeConfig {
  site: string;
  /** Collector origin, e.g. "https://collector.example". */
  base: string;
  /** hex HMAC-SHA256(identity_secret, user_id) from the site's backend: read by user id. */
  sig?: string;
}

/** What personalize needs of the snippet (the script-tag `ec` or the ESM client). */
export interface EcLike {
  ids(): Ids;
  track(type: string, props: object): void;
  recommend?: (o: RecOptions, cb: RecCallback) => () => void;
  q?: { push(a: unknown): unknown } | unknown[];
}

interface Sub {
  /** The container of a data-ec-recs slot. */
  el?: Element;
  /** The options now, or null when the slot is gone (its container left the page). */
  get: () => RecOptions | null | false;
  cb: RecCallback;
  url?: string;
  es?: EventSource;
  /** No reconnect before this time (after the collector refused the stream). */
  wait?: number;
}

const OPTS = ["limit", "context", "category", "exclude"] as const;

/** The stream URL of these options for this identity; options without a value are left out. */
export function streamUrl(cfg: PersonalizeConfig, ids: Ids, o: RecOptions): string {
  const byUser = cfg.sig && ids.user_id;
  const q = new URLSearchParams();
  for (const k of OPTS) if (o[k]) q.set(k, o[k] + "");
  if (byUser) q.set("sig", cfg.sig!);
  const e = encodeURIComponent;
  return `${cfg.base}/v1/recommendations/${e(cfg.site)}/${e((byUser ? ids.user_id : ids.anonymous_id)!)}/stream?${q}`;
}

/** The options of a data-ec-recs container: its data attributes. */
export const slotOptions = (el: HTMLElement): RecOptions => {
  const o: Record<string, string | undefined> = {};
  for (const k of OPTS) o[k] = el.dataset[k];
  return o;
};

/** Fills the container with one copy of the template per item (see the header). */
export function render(el: HTMLElement, a: RecAnswer): void {
  const d = el.dataset;
  const t = (el.querySelector(":scope>template") || document.querySelector(d.template!)) as HTMLTemplateElement;
  const nodes: Node[] = [];
  a.items.forEach((item, i) => {
    const f = t.content.cloneNode(true) as DocumentFragment;
    for (const n of f.querySelectorAll("*"))
      for (const { name, value } of [...n.attributes]) {
        const v = item[value];
        const k = name.slice(8);
        if (name.startsWith("data-ec-") && v != null) {
          const s = [v].flat().join(", ");
          if (k == "text") n.textContent = s;
          else if (!/^(href|src)$/.test(k) || /^(https?:|\/)/i.test(s)) n.setAttribute(k, s);
        }
      }
    const root = f.firstElementChild as HTMLElement | null;
    if (root) Object.assign(root.dataset, { track: "product_click", productId: item.product_id, position: i + 1 + "", list: d.ecRecs }, item.category ? { category: item.category } : {});
    nodes.push(...f.childNodes);
  });
  el.replaceChildren(...[t].filter((n) => n?.parentNode == el), ...nodes);
  d.ecCount = a.items.length + "";
  d.ecStrategy = a.strategy;
}

/** Starts personalization for this page; returns `recommend`. Idempotent per `ec`. */
export function personalize(ec: EcLike, cfg: PersonalizeConfig): NonNullable<EcLike["recommend"]> {
  if (ec.recommend) return ec.recommend;
  const subs: Sub[] = [];
  const shown = new WeakMap<Element, string>();
  const visible = new WeakSet<Element>();
  const pending = new Map<Element, object>();
  const safe =
    <A extends unknown[]>(f: (...a: A) => unknown) =>
    (...a: A): void => {
      try {
        f(...a);
      } catch {}
    };

  // Impressions: a new list counts once its container is at least half visible.
  const impress = (el: Element) => {
    const p = pending.get(el);
    if (p && visible.has(el)) ec.track("recs_impression", p), pending.delete(el);
  };
  const io = new IntersectionObserver(
    safe((es: IntersectionObserverEntry[]) => {
      for (const e of es) e.isIntersecting ? (visible.add(e.target), impress(e.target)) : visible.delete(e.target);
    }),
    { threshold: 0.5 },
  );

  const close = (s: Sub) => {
    s.es?.close();
    s.es = s.url = undefined;
  };

  /** (Re)opens every stream whose URL changed (options or identity), closes those gone. */
  const sync = safe(() => {
    for (const el of document.querySelectorAll<HTMLElement>("[data-ec-recs]"))
      if (!shown.has(el)) {
        shown.set(el, "");
        io.observe(el);
        subs.push({
          el,
          get: () => el.isConnected && slotOptions(el),
          cb: safe((items, a) => {
            const key = items.map((i) => i.product_id).join(" ");
            if (shown.get(el) == key && el.dataset.ecCount) return;
            shown.set(el, key);
            render(el, a);
            pending.set(el, { list: el.dataset.ecRecs, items: key.slice(0, 1024), count: items.length, strategy: a.strategy });
            impress(el);
          }),
        });
      }
    const ids = ec.ids();
    for (let i = subs.length; i--; ) {
      const s = subs[i]!;
      const o = s.get();
      if (!o) {
        close(s);
        subs.splice(i, 1);
        if (s.el) shown.delete(s.el), pending.delete(s.el), io.unobserve(s.el);
        continue;
      }
      const url = streamUrl(cfg, ids, o);
      if (url == s.url || Date.now() < s.wait!) continue;
      close(s);
      const es = (s.es = new EventSource((s.url = url)));
      es.addEventListener(
        "recommendations",
        safe((m: MessageEvent) => {
          const a = JSON.parse(m.data) as RecAnswer;
          s.cb(a.items, a);
        }),
      );
      // Refused (4xx, or not an event stream): the browser gives up; try again in 30 s.
      es.onerror = () => es.readyState == 2 && (close(s), (s.wait = Date.now() + 3e4));
    }
  });

  let t: ReturnType<typeof setTimeout> | 0 = 0;
  new MutationObserver(() => (t ||= setTimeout(() => ((t = 0), sync())))).observe(document.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: OPTS.map((k) => "data-" + k) });
  // The identity may change (ec.identify with a signature, ec.reset): checked every second.
  setInterval(sync, 1e3);

  const recommend = (o: RecOptions, cb: RecCallback) => {
    const s: Sub = { get: () => o, cb: safe(cb) };
    subs.push(s);
    sync();
    return () => void (s.get = () => null);
  };
  ec.recommend = recommend;
  // ec("recommend", options, callback) calls the snippet kept for an add-on: run them, and
  // from now on run such calls at once.
  const run = safe((a: unknown) => {
    const [m, o, cb] = a as [string, RecOptions, RecCallback];
    if (m == "recommend") recommend(o, cb);
  });
  for (const a of (ec.q || []) as unknown[]) run(a);
  ec.q = { push: run };
  sync();
  return recommend;
}
