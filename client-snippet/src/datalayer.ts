/**
 * The dataLayer bridge: forwards the configured events that a site (or Google Tag Manager, or
 * gtag.js) pushes to `window.dataLayer` to the collector, mapped to its event types.
 *
 *   GA4 e-commerce            collector
 *   view_item                 product_view   {product_id, category, brand, price, currency}  (items[0])
 *   select_item               product_click  {product_id, category, position, list}          (items[0])
 *   add_to_cart               add_to_cart    {product_id, quantity, price, currency}          (one per item)
 *   remove_from_cart          remove_from_cart {product_id, quantity}                         (one per item)
 *   purchase                  purchase       {order_id, revenue, currency, items[]}
 *   search, view_search_results search       {query}
 *   any other configured name custom         {name, properties: flat string/number/boolean params}
 *
 * Both shapes are read: GTM's `dataLayer.push({event, ecommerce: {...}})` and gtag's
 * `gtag("event", name, params)` (which pushes its `arguments`). GTM internals (`gtm.*` events
 * and keys, eventCallback, eventTimeout) and anything that looks like an e-mail address are
 * never sent. An event that lacks what its collector type requires is not sent either.
 *
 * `bridgeDataLayer` wraps `dataLayer.push` (same behaviour and return value; the forwarding
 * can not throw into the page) and replays the entries already in the array.
 */
import type { PropsOf } from "../../schemas";
import type { Client, ConsentState } from "./types";

export interface BridgeOptions {
  /** dataLayer event names to forward: an array or a comma-separated string ("view_item,add_to_cart"). */
  events: string[] | string;
  /** Name of the global array. Default "dataLayer". */
  layer?: string;
  /**
   * Follow Google consent mode: the consent type (e.g. "analytics_storage") whose "granted" or
   * "denied" in `gtag("consent", "default" | "update", {...})` is passed to `consent()`. Off when unset.
   */
  consentType?: string;
}

/** What the bridge calls on the collector client: `track(type, props)` or `consent(state)`. */
export type Call = ["track", string, Record<string, unknown>] | ["consent", ConsentState];

/** The client from init(), or the script tag's global `ec` (also its queue stub). */
export type Target = Pick<Client, "consent"> & { track(type: string, props: object): void } | ((method: string, ...args: unknown[]) => unknown);

type O = Record<string, any>;

/** An e-mail address, also URL-encoded (jane%40example.com). */
const EMAIL = /[^\s@]+(@|%40)[^\s@]+\.[a-z]{2,}/i;
/** Keys never forwarded as custom properties: GTM and gtag internals, and names of personal data. */
const SKIP = /^(gtm|event(_?callback|_?timeout)?$|send_to$)|mail|phone|passw/i;

/** A non-empty string (numbers too: item ids often are), at most max characters; nothing e-mail-like. */
const str = (v: unknown, max = 128): string | undefined => {
  const s = typeof v == "string" || (typeof v == "number" && isFinite(v)) ? v + "" : "";
  return s && !EMAIL.test(s) ? s.slice(0, max) : undefined;
};
/** A finite non-negative number, also from a numeric string ("59.90"); an integer (min to 100,000) when min is given. */
const num = (v: unknown, min?: number): number | undefined => {
  const n = parseFloat(v as string);
  return n >= 0 && n < 1e12 && (min === undefined || (n >= min && n <= 1e5 && n % 1 == 0)) ? n : undefined;
};

/** GA4 item events and the collector type each becomes. */
const ITEM_TYPES: O = { view_item: "product_view", select_item: "product_click", add_to_cart: "add_to_cart", remove_from_cart: "remove_from_cart" };

/**
 * The calls one dataLayer entry makes on the collector client (none for most entries).
 * Props of item events hold every product field and may hold undefined values: the client keeps
 * only the type's own keys (client-snippet/src/keys.ts) and JSON drops undefined (the unit tests
 * check the result against the collector's schemas the same way).
 */
export function toCalls(entry: unknown, events: Set<string>, consentType?: string): Call[] {
  const e = entry as O;
  if (!e || typeof e != "object") return [];
  // gtag("event", name, params) and gtag("consent", "default" | "update", {...}) push their arguments.
  const cmd = e[0];
  if (cmd == "consent") {
    const s = consentType && e[2]?.[consentType];
    return s == "granted" || s == "denied" ? [["consent", s]] : [];
  }
  const name = cmd == "event" ? e[1] : e.event;
  const params: O = (cmd == "event" ? e[2] : e) || {};
  if (!events.has(name) || /^gtm\./.test(name)) return [];
  // GTM puts e-commerce data in `ecommerce`, gtag at the top level of its params.
  const ec: O = params.ecommerce || params;
  const items: O[] = [].concat(ec.items || []).filter((i) => i);
  const currency = /^[a-z]{3}$/i.test(ec.currency) ? ec.currency.toUpperCase() : undefined;
  const type = ITEM_TYPES[name];
  const product = (i: O) => ({
    product_id: str(i.item_id)!,
    category: str(i.item_category),
    brand: str(i.item_brand),
    price: num(i.price),
    currency,
    // add_to_cart and purchase lines need one; remove_from_cart may leave it out (all of that product).
    quantity: num(i.quantity, 1) || (type == "remove_from_cart" ? undefined : 1),
    position: num(i.index, 0),
    list: str(i.item_list_name || i.item_list_id || ec.item_list_name || ec.item_list_id),
  });
  const track = (type: string, props: O): Call[] => [["track", type, props]];
  if (type)
    // A view or a click is about one product; a cart change may hold several.
    return (/cart/.test(name) ? items : items.slice(0, 1)).map(product).flatMap((p) => (p.product_id ? track(type, p) : []));
  if (name == "purchase") {
    const lines = items.slice(0, 100).map(product);
    const p = {
      order_id: str(ec.transaction_id)!,
      revenue: num(ec.value)!,
      currency: currency!,
      items: lines.map(({ product_id, quantity, price }) => ({ product_id, quantity: quantity!, price })),
    } satisfies PropsOf<"purchase">;
    return p.order_id && p.revenue >= 0 && currency && lines[0] && lines.every((l) => l.product_id) ? track(name, p) : [];
  }
  if (/^(view_search_results|search)$/.test(name)) {
    const query = str(ec.search_term, 256);
    return query ? track("search", { query } satisfies PropsOf<"search">) : [];
  }
  // Other events: custom, with the flat params (strings up to 1,024 characters, finite numbers, booleans; at most 50).
  const properties: Record<string, string | number | boolean> = {};
  let n = 0;
  for (const k in params) {
    const v = params[k];
    const t = typeof v;
    const ok = t == "boolean" || (t == "number" && isFinite(v)) || (t == "string" && !EMAIL.test(v));
    if (ok && n < 50 && k.length <= 128 && !SKIP.test(k)) (properties[k] = t == "string" ? v.slice(0, 1024) : v), n++;
  }
  const custom = { name: str(name)!, properties } satisfies PropsOf<"custom">;
  return custom.name ? track("custom", custom) : [];
}

/** Marks a bridged array, across bundles (script tag and ESM on one page): it is bridged once. */
const MARK = Symbol.for("ec.dataLayer");

/**
 * Forwards the configured dataLayer events to `ec`: those already in the array now, and every
 * later push. Returns false (and does nothing) when that array is already bridged or there is no
 * window (server-side rendering).
 *
 *   import { init, bridgeDataLayer } from "edge-collector-snippet";
 *   bridgeDataLayer(init({ site: "demo" }), { events: ["view_item", "add_to_cart", "purchase"] });
 */
export function bridgeDataLayer(ec: Target, options: BridgeOptions): boolean {
  try {
    const w = window as unknown as O;
    const layer = options.layer || "dataLayer";
    const dl: unknown[] & { [MARK]?: 1 } = (w[layer] ||= []);
    if (dl[MARK]) return false;
    const { events = [], consentType } = options;
    const names = new Set(typeof events == "string" ? events.split(",").map((s) => s.trim()) : events);
    const forward = (entry: unknown) => {
      try {
        for (const c of toCalls(entry, names, consentType)) typeof ec == "function" ? ec(...(c as [string, ...unknown[]])) : (ec[c[0]] as (...a: unknown[]) => void)(c[1], c[2]);
      } catch {}
    };
    const push = dl.push;
    dl.forEach(forward);
    // Forwarded first (so nested pushes keep their order), then the original push, as before.
    dl.push = (...a: unknown[]) => (a.forEach(forward), push.apply(dl, a));
    dl[MARK] = 1;
    return true;
  } catch {
    return false;
  }
}
