/**
 * ESM entry for bundlers:
 *   import { init } from "edge-collector-snippet";
 *   const ec = init({ site: "demo", endpoint: "https://collector.example/v1/collect" });
 *   ec.track("add_to_cart", { product_id: "sku-1", quantity: 1, price: 59, currency: "EUR" });
 */
import { auto } from "./auto";
import { client } from "./client";
import { extras } from "./extras";
import type { Client, Config } from "./types";

export type * from "./types";
/** The dataLayer bridge (Google Tag Manager, gtag.js): bridgeDataLayer(init({...}), { events: [...] }). */
export { bridgeDataLayer, type BridgeOptions } from "./datalayer";
/** Form submissions and generic clicks (init() runs them unless `auto: false`). */
export { extras } from "./extras";
/**
 * Recommendations on the page, live: personalize(init({...}), { site, base: "https://collector.example" })
 * fills data-ec-recs containers and returns recommend(options, callback).
 */
export { personalize, type PersonalizeConfig, type RecAnswer, type RecCallback, type RecItem, type RecOptions } from "./personalize";

/** Starts the collector client (and all auto-capture, extras.ts too, unless `auto: false`). Call once, in the browser. */
export function init(config: Config): Client {
  if (typeof window == "undefined") {
    // Server-side rendering: a client that does nothing.
    const noop = () => {};
    return { track: noop, page: noop, identify: noop, consent: noop, flush: async () => {}, reset: noop, ids: () => ({ anonymous_id: "" }) };
  }
  const c = client(config);
  if (config.auto !== false) {
    auto(c, config);
    // The script tag loads these from /extras.js; here they stay on by default.
    extras(c.track, config);
  }
  return c as unknown as Client;
}
