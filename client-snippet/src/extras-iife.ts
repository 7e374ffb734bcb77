/**
 * The script-tag build of extras.ts (/extras.js): form submissions and generic clicks.
 *   <script async src="https://collector.example/extras.js"></script>  (beside snippet.js)
 * Configured by the snippet tag's data attributes (data-selectors, data-auto, data-forms,
 * data-clicks). It calls the snippet through the `ec` queue stub (made here when missing), so
 * either script may load first.
 */
import { extras } from "./extras";

type Stub = ((...a: unknown[]) => unknown) & { q?: unknown[] };
const w = window as unknown as { ec?: Stub };

try {
  const d = (document.querySelector("script[data-site]") as HTMLScriptElement | null)?.dataset || {};
  if (d.auto != "false")
    extras(
      // The global is looked up at every call: the snippet replaces the stub when it loads.
      (type, props) =>
        (w.ec ||= function () {
          // eslint-disable-next-line prefer-rest-params
          (w.ec!.q ||= []).push(arguments);
        } as Stub)("track", type, props),
      { ...d, auto: d },
    );
} catch {}
