/**
 * The script-tag build of the dataLayer bridge (/datalayer.js), configured by data attributes:
 *   <script async src="https://collector.example/datalayer.js" data-events="view_item,add_to_cart,purchase"></script>
 * data-events: dataLayer event names to forward; data-layer: the array's name (default dataLayer);
 * data-consent-type: follow a Google consent mode type, e.g. "analytics_storage".
 * It calls the snippet through the `ec` queue stub (made here when missing), so either script
 * may load first: the snippet replays what the stub queued.
 */
import { bridgeDataLayer, type BridgeOptions } from "./datalayer";

type Stub = ((...a: unknown[]) => unknown) & { q?: unknown[] };
const w = window as unknown as { ec?: Stub };

try {
  bridgeDataLayer(
    // The global is looked up at every call: the snippet replaces the stub when it loads.
    (...a) =>
      (w.ec ||= function () {
        // eslint-disable-next-line prefer-rest-params
        (w.ec!.q ||= []).push(arguments);
      } as Stub)(...a),
    // The data attributes are the options: data-events, data-layer, data-consent-type.
    ((document.currentScript || document.querySelector("script[data-events]")) as HTMLScriptElement).dataset as unknown as BridgeOptions,
  );
} catch {}
