/**
 * Auto-capture that only the lake uses (the live profile counts these events and nothing
 * more), kept out of the core snippet's byte budget:
 * - form submissions: `form_submit {form_id}`, the form's id or name, never a field value;
 * - generic clicks: `click {selector, text, href}` on configured selectors whose element has
 *   neither data-track nor data-product-id (those are the core's).
 * Script tag: /extras.js beside snippet.js (it reads the snippet tag's data attributes);
 * ESM: init() runs it. Listeners are passive, in the capture phase, and never throw.
 */
import type { AutoOptions } from "./types";

export interface ExtrasConfig {
  auto?: boolean | AutoOptions;
  selectors?: string[] | string;
}

export type Track = (type: string, props: object) => void;

export function extras(track: Track, cfg: ExtrasConfig): void {
  const a = cfg.auto as AutoOptions | undefined;
  const is = (k: keyof AutoOptions) => a?.[k] + "" != "false";
  const sels = ["[data-track]"].concat(cfg.selectors || ".product-thumbnail");
  const listen = (type: string, f: (e: Event) => void) =>
    document.addEventListener(
      type,
      (e) => {
        try {
          f(e);
        } catch {}
      },
      { capture: true, passive: true },
    );

  if (is("clicks"))
    listen("click", (e) => {
      const el = (e.target as Element).closest?.(sels.join()) as HTMLElement | null;
      // href is an SVGAnimatedString on SVG links: no slice, so left out.
      if (el && !el.dataset.track && !el.dataset.productId)
        track("click", { selector: sels.find((s) => el.matches(s)), text: el.textContent!.trim().slice(0, 256), href: (el as HTMLAnchorElement).href?.slice?.(0, 2048) });
    });

  if (is("forms"))
    listen("submit", (e) => {
      const f = e.target as HTMLFormElement;
      const id = f.getAttribute("id") || f.getAttribute("name");
      if (id) track("form_submit", { form_id: id.slice(0, 128) });
    });
}
