/**
 * Auto-capture of the core snippet, each part switchable: what the live profile and the
 * recommendations use. Page views (also SPA navigations), clicks on [data-track] and on
 * configured selectors with data-product-id, scroll depth milestones, engagement time and site
 * search from a query parameter. Listeners are passive, run in the capture phase and never
 * throw into the page. Form submissions and generic clicks, which only the lake uses, are in
 * extras.ts (the /extras.js add-on; ESM init() runs both).
 */
import type { Core } from "./client";
import { NUMERIC } from "./keys";
import type { AutoOptions, Config, Context } from "./types";

const MILESTONES = [25, 50, 75, 90, 100] as const;
/** Time after the last input that still counts as active (reading without moving). */
const IDLE_MS = 1e4;

export function auto(c: Core, cfg: Config): void {
  const a = cfg.auto as AutoOptions | undefined;
  // false, or "false" from a data attribute, turns a part off (true[k] is undefined).
  const is = (k: keyof AutoOptions) => a?.[k] + "" != "false";
  const d = document;
  const listen = (t: EventTarget, type: string, f: (e: Event) => unknown) => t.addEventListener(type, c._safe(f), { capture: true, passive: true });
  const param = cfg.searchParam ?? "q";
  // An array, or a comma-separated string from data-selectors.
  const sels = ["[data-track]"].concat(cfg.selectors || ".product-thumbnail");
  let last = "";
  let pageCtx: Context | undefined;
  let seen = 0;
  let scrollTimer: ReturnType<typeof setTimeout> | 0 = 0;

  // Engagement: visible time, and active time = visible time within IDLE_MS of an input.
  let visible = 0;
  let active = 0;
  let shownAt = d.hidden ? 0 : Date.now();
  let lastInput = shownAt;
  const tick = () => {
    const t = Date.now();
    if (shownAt) active += Math.min(t - lastInput, IDLE_MS);
    lastInput = t;
    return t;
  };
  const engage = () => {
    const t = tick();
    if (shownAt) visible += t - shownAt;
    shownAt &&= t;
    if (visible > 0 && is("engagement")) c.track("engagement", { active_ms: Math.min(active, visible, 864e5), visible_ms: Math.min(visible, 864e5) }, pageCtx);
    visible = active = 0;
  };
  // Hiding or unloading (pagehide may come before or after visibilitychange): count no more
  // until the page is visible again.
  c._hook = () => {
    engage();
    shownAt = 0;
  };
  listen(d, "visibilitychange", () => d.hidden || (shownAt = lastInput = Date.now()));
  for (const t of ["pointerdown", "mousemove", "keydown", "scroll"]) listen(window, t, tick);

  // Page views, SPA navigations and site search.
  const nav = c._safe(() => {
    const k = location.pathname + location.search;
    if (k == last) return;
    // The previous page's engagement goes with that page's context.
    if (last) engage();
    last = k;
    seen = 0;
    pageCtx = c._ctx();
    if (is("pageviews")) c.page();
    const query = param && is("search") && new URLSearchParams(location.search).get(param);
    if (query) c.track("search", { query: query.slice(0, 256) });
  });
  for (const m of ["pushState", "replaceState"] as const) {
    const orig = history[m];
    history[m] = function (this: History, ...args: Parameters<History["pushState"]>) {
      const r = orig.apply(this, args);
      nav();
      return r;
    };
  }
  listen(window, "popstate", nav);

  // Clicks: data-track="<type>" with props from the other data attributes, or a configured
  // selector with data-product-id: product_click. (Generic clicks are in extras.ts.)
  if (is("clicks"))
    listen(d, "click", (e) => {
      const el = (e.target as Element).closest?.(sels.join()) as HTMLElement | null;
      if (!el) return;
      const p: Record<string, unknown> = {};
      const { track: type, ...data } = el.dataset;
      for (const [k, v] of Object.entries(data)) {
        const key = k.replace(/[A-Z]/g, (m) => "_" + m.toLowerCase());
        p[key] = NUMERIC.test(key) ? +v! : v;
      }
      if (type == "add_to_cart") p.quantity ??= 1;
      if (type) c.track(type, p);
      else if (p.product_id) c.track("product_click", p);
    });

  // Scroll depth, checked at most every 250 ms.
  if (is("scroll"))
    listen(window, "scroll", () => {
      scrollTimer ||= setTimeout(
        c._safe(() => {
          scrollTimer = 0;
          const pct = ((scrollY + innerHeight + 2) / d.documentElement.scrollHeight) * 100;
          while (seen < 5 && pct >= MILESTONES[seen]!) c.track("scroll_depth", { percent: MILESTONES[seen++]! });
        }),
        250,
      );
    });

  nav();
}
