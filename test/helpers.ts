/** Helpers for tests that run inside workerd against the real worker and bindings. */
import { exports } from "cloudflare:workers";
import { uid } from "./uid";

export const ADMIN = { authorization: "Bearer test-admin-token" };
export { uid } from "./uid";

export function envelope(over: Record<string, unknown> = {}, events: unknown[] = [pageView()]) {
  return {
    site: "demo",
    anonymous_id: uid("anon"),
    session_id: "s-1",
    sent_at: new Date().toISOString(),
    context: { page_url: "https://shop.example/p/sku-1?utm_source=news&utm_campaign=winter&gclid=abc", referrer: "https://www.google.com/search?q=x", locale: "en-GB", timezone: "Europe/London", screen: { w: 1440, h: 900 } },
    events,
    ...over,
  };
}

export const pageView = (over: Record<string, unknown> = {}) => ({ id: uid(), type: "page_view", ts: new Date().toISOString(), props: { path: "/" }, ...over });
export const ev = (type: string, props: Record<string, unknown>, over: Record<string, unknown> = {}) => ({ id: uid(), type, ts: new Date().toISOString(), props, ...over });

export async function post(body: unknown, init: { headers?: Record<string, string>; raw?: string; cf?: Record<string, unknown> } = {}) {
  const req = new Request("https://collector.test/v1/collect", {
    method: "POST",
    headers: { "content-type": "text/plain;charset=UTF-8", "user-agent": CHROME, ...init.headers },
    body: init.raw ?? JSON.stringify(body),
    cf: init.cf,
  });
  return exports.default.fetch(req);
}

export function get(path: string, headers: Record<string, string> = ADMIN) {
  return exports.default.fetch(new Request(`https://collector.test${path}`, { headers }));
}

export const CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
export const IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
export const GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
