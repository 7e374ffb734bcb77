/**
 * ESM entry for bundlers:
 *   import { init } from "edge-collector-snippet";
 *   const ec = init({ site: "demo", endpoint: "https://collector.example/v1/collect" });
 *   ec.track("add_to_cart", { product_id: "sku-1", quantity: 1, price: 59, currency: "EUR" });
 */
import { auto } from "./auto";
import { client } from "./client";
import type { Client, Config } from "./types";

export type * from "./types";

/** Starts the collector client (and auto-capture unless `auto: false`). Call once, in the browser. */
export function init(config: Config): Client {
  if (typeof window == "undefined") {
    // Server-side rendering: a client that does nothing.
    const noop = () => {};
    return { track: noop, page: noop, identify: noop, consent: noop, flush: async () => {}, reset: noop, ids: () => ({ anonymous_id: "" }) };
  }
  const c = client(config);
  if (config.auto !== false) auto(c, config);
  return c as unknown as Client;
}
