/**
 * The script-tag build of personalize.ts (/personalize.js), beside the snippet:
 *   <script async src="https://collector.example/snippet.js" data-site="demo"></script>
 *   <script async src="https://collector.example/personalize.js"></script>
 *   <div data-ec-recs="home" data-limit="4"><template><a data-ec-href="url" data-ec-text="title"></a></template></div>
 * The site comes from this tag's data-site or the snippet tag's; data-sig (hex
 * HMAC-SHA256(identity_secret, user_id), rendered by the site's backend) reads by user id.
 * It starts once the snippet has loaded (either script may load first).
 */
import { personalize, type EcLike } from "./personalize";

const w = window as unknown as { ec?: EcLike };
const s = document.currentScript as HTMLScriptElement;
let n = 0;

const start = (): void => {
  try {
    if (!w.ec?.ids) {
      // The snippet is not there yet: wait for it (at most a minute).
      if (n++ < 600) setTimeout(start, 100);
      return;
    }
    const d = s.dataset;
    personalize(w.ec, { site: d.site || (document.querySelector("script[data-site]") as HTMLScriptElement).dataset.site!, base: new URL(s.src).origin, sig: d.sig });
  } catch {}
};
start();
