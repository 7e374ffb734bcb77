/** Stored records for tests that talk to the Durable Object or the consumer directly. */
import type { StoredRecord } from "../schemas";
import { uid } from "./uid";

export function record(over: Partial<StoredRecord> = {}): StoredRecord {
  const now = new Date().toISOString();
  return {
    id: uid("r"), site: "demo", type: "page_view", props: { path: "/" }, anonymous_id: "a-test", user_id: null, identity: "none", session_id: "s-1",
    client_ts: now, sent_at: now, received_at: now, ts: now,
    page: { url: "https://shop.example/", path: "/", referrer_host: null, utm: { source: null, medium: null, campaign: null, term: null, content: null }, campaign_params: {} },
    geo: { country: null, region: null, city: null, postal_code: null, latitude: null, longitude: null, timezone: null, continent: null, colo: null, asn: null, as_org: null },
    ua: { browser: "Chrome", version: "131", os: "Windows 10", device_type: "desktop" },
    bot: false, locale: null, timezone: null, ...over,
  };
}
