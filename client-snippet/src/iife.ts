/**
 * The script-tag build: <script async src="https://collector.example/snippet.js" data-site="demo"></script>
 * Every data attribute is a config option (data-flush-interval="2000", data-consent="denied",
 * data-selectors=".product-thumbnail,.promo", data-scroll="false", data-auto="false", ...).
 * Calls made through the queue stub before it loaded are replayed, in order, before the first
 * page view:  window.ec = window.ec || function () { (ec.q = ec.q || []).push(arguments) };
 * Then ec("track", "add_to_cart", {...}) or ec.track("add_to_cart", {...}).
 */
import { auto } from "./auto";
import { client } from "./client";
import type { Config } from "./types";

type Ec = ((method: string, ...args: unknown[]) => unknown) & { q?: unknown[][]; track?: unknown };
const w = window as unknown as { ec?: Ec };

try {
  if (!w.ec?.track) {
    const s = document.currentScript as HTMLScriptElement;
    const d = s.dataset;
    const cfg = {
      ...d,
      endpoint: d.endpoint || new URL("/v1/collect", s.src).href,
      // The auto-capture switches are data attributes too: data-scroll="false".
      auto: d.auto != "false" && d,
    } as unknown as Config;
    const c = client(cfg);
    const queued = w.ec?.q || [];
    const f = c as unknown as Record<string, (...a: unknown[]) => unknown>;
    // A method the core does not have (an add-on's, e.g. "recommend" of /personalize.js) waits
    // in ec.q: the add-on takes it from there when it loads.
    const ec: Ec = Object.assign((m: string, ...a: unknown[]) => (f[m] ? f[m](...a) : (ec.q ||= []).push([m, ...a])), c);
    w.ec = ec;
    for (const args of queued) ec(...(args as unknown as [string]));
    if (cfg.auto) auto(c, cfg);
  }
} catch {}
