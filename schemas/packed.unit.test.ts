import { describe, expect, it } from "vitest";
import { isPacked, packRecords, unpackRecords } from "./packed";
import type { StoredRecord } from "./record";

const page = { url: "https://shop.example/", path: "/", referrer_host: null, utm: { source: null, medium: null, campaign: null, term: null, content: null }, campaign_params: {} };
const geo = { country: "DE", region: null, city: null, postal_code: null, latitude: null, longitude: null, timezone: null, continent: null, colo: null, asn: null, as_org: null };
const ua = { browser: "Chrome", version: "131", os: "Windows 10", device_type: "desktop" as const };
const rec = (i: number, over: Partial<StoredRecord> = {}): StoredRecord => ({
  id: `e${i}`, site: "demo", type: "page_view", props: { path: `/${i}` }, anonymous_id: "a", user_id: null, identity: "none", session_id: "s", client_ts: `t${i}`,
  sent_at: "x", received_at: "y", ts: `t${i}`, page, geo, ua, bot: false, locale: null, timezone: "Europe/Berlin", ...over,
});

describe("packed records", () => {
  it("send a beacon's shared fields once and give back the same records, in the same field order", () => {
    const records = [rec(1), rec(2), rec(3, { bot_score: 10, bot_reasons: ["rate"] })];
    const p = packRecords(records);
    expect(isPacked(p)).toBe(true);
    expect(p.events.every((e) => !("geo" in e) && !("page" in e))).toBe(true);
    expect(JSON.stringify(unpackRecords(structuredClone(p)))).toBe(JSON.stringify(records));
    expect(JSON.stringify(p).length).toBeLessThan(JSON.stringify(records).length / 2);
  });

  it("keep what differs per record (Segment messages of one user: other sessions, pages, nulls)", () => {
    const records = [rec(1, { user_id: "u" }), rec(2, { user_id: null, session_id: null, page: { ...page, path: "/x" }, locale: "de", bot: true }), rec(3, { site: "demo", user_id: "u" })];
    expect(JSON.stringify(unpackRecords(structuredClone(packRecords(records))))).toBe(JSON.stringify(records));
    expect(unpackRecords(packRecords([]))).toEqual([]);
  });
});
