import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { correctTs, detectBot, enrichEvents, geoFromCf, pageInfo, parseUserAgent } from "./enrich";

const CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const IPAD = "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1";
const GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

describe("geoFromCf", () => {
  it("maps every field and guards a missing or odd cf", () => {
    const cf = { country: "GB", region: "England", city: "London", postalCode: "EC1A", latitude: "51.5", longitude: "-0.12", timezone: "Europe/London", continent: "EU", colo: "LHR", asn: 2856, asOrganization: "BT" };
    expect(geoFromCf(cf)).toEqual({ country: "GB", region: "England", city: "London", postal_code: "EC1A", latitude: 51.5, longitude: -0.12, timezone: "Europe/London", continent: "EU", colo: "LHR", asn: 2856, as_org: "BT" });
    const empty = geoFromCf(undefined);
    expect(Object.values(empty).every((v) => v === null)).toBe(true);
    expect(geoFromCf({ latitude: "abc", country: 7 }).latitude).toBeNull();
    expect(geoFromCf("junk").country).toBeNull();
  });
});

describe("parseUserAgent", () => {
  it("tells browser, version, os and device type", () => {
    expect(parseUserAgent(CHROME)).toEqual({ browser: "Chrome", version: "131.0.0.0", os: "Windows 10", device_type: "desktop" });
    expect(parseUserAgent(IPHONE)).toMatchObject({ browser: "Mobile Safari", os: "iOS 17.5", device_type: "mobile" });
    expect(parseUserAgent(IPAD).device_type).toBe("tablet");
    expect(parseUserAgent(GOOGLEBOT).device_type).toBe("bot");
    expect(parseUserAgent(null)).toEqual({ browser: null, version: null, os: null, device_type: "other" });
  });
});

describe("detectBot", () => {
  it("uses isbot and Cloudflare bot management", () => {
    expect(detectBot(CHROME, undefined)).toBe(false);
    expect(detectBot(GOOGLEBOT, undefined)).toBe(true);
    expect(detectBot(null, undefined)).toBe(true);
    expect(detectBot(CHROME, { botManagement: { score: 2 } })).toBe(true);
    expect(detectBot(CHROME, { botManagement: { score: 85 } })).toBe(false);
    expect(detectBot(CHROME, { botManagement: { verifiedBot: true, score: 99 } })).toBe(true);
  });
});

describe("pageInfo", () => {
  it("parses path, referrer host, utm and click ids", () => {
    const p = pageInfo("https://shop.example/p/sku-1?utm_source=news&utm_medium=email&utm_campaign=winter&gclid=abc&x=1", "https://www.google.com/search?q=a");
    expect(p).toEqual({
      url: "https://shop.example/p/sku-1?utm_source=news&utm_medium=email&utm_campaign=winter&gclid=abc&x=1",
      path: "/p/sku-1",
      referrer_host: "www.google.com",
      utm: { source: "news", medium: "email", campaign: "winter", term: null, content: null },
      campaign_params: { gclid: "abc" },
    });
    expect(pageInfo("javascript:alert(1)", "not a url")).toMatchObject({ url: null, path: null, referrer_host: null });
  });
  it("reads utm and campaign parameters as URLSearchParams.get does: first value of a name, decoded, empty as null", () => {
    const str = (v: string | null) => (v ? v.slice(0, 256) : null);
    const names = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm%5Fsource", "UTM_SOURCE", "gclid", "fbclid", "ref", "li_fat_id", "utm_id", "x", "token", ""];
    const values = fc.oneof(fc.constantFrom("", "a", "a+b", "%20", "%E0%A4%A", "x".repeat(300), "jane@mail.example", "="), fc.string({ maxLength: 8 }).map(encodeURIComponent));
    fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom(...names), values, fc.boolean()), { maxLength: 8 }), (pairs) => {
      const query = pairs.map(([k, v, eq]) => (eq || v ? `${k}=${v}` : k)).join("&");
      const url = `https://shop.example/p${query ? `?${query}` : ""}`;
      const q = new URL(url).searchParams;
      const p = pageInfo(url, null);
      expect(p.utm).toEqual({ source: str(q.get("utm_source")), medium: str(q.get("utm_medium")), campaign: str(q.get("utm_campaign")), term: str(q.get("utm_term")), content: str(q.get("utm_content")) });
      const expected = Object.fromEntries(["gclid", "gbraid", "wbraid", "dclid", "fbclid", "msclkid", "ttclid", "twclid", "li_fat_id", "utm_id", "ref"].map((k) => [k, str(q.get(k))]).filter(([, v]) => v));
      expect(Object.entries(p.campaign_params)).toEqual(Object.entries(expected));
    }), { numRuns: 500 });
  });
});

describe("correctTs", () => {
  it("shifts client time by the client's own send delay", () => {
    // Client clock 1 h behind: event 2 s before sending, received now.
    const received = Date.parse("2026-11-26T12:00:00.000Z");
    const sent = Date.parse("2026-11-26T11:00:00.000Z");
    const client = Date.parse("2026-11-26T10:59:58.000Z");
    expect(new Date(correctTs(received, sent, client)).toISOString()).toBe("2026-11-26T11:59:58.000Z");
    // An event stamped after sent_at (broken client) is never put in the future.
    expect(correctTs(received, sent, sent + 5000)).toBe(received);
  });
});

describe("enrichEvents", () => {
  it("builds stored records without the IP", () => {
    const recs = enrichEvents(
      { site: "demo", anonymous_id: "a", user_id: "u", session_id: "s", sent_at: "2026-11-26T10:00:10.000Z", context: { page_url: "https://shop.example/c?utm_source=x", locale: "en-GB" }, events: [] },
      [
        { id: "1", type: "page_view", ts: "2026-11-26T10:00:00.000Z", props: { url: "https://shop.example/spa/next" } },
        { id: "2", type: "search", ts: "2026-11-26T10:00:05.000Z", props: { query: "shoes" } },
      ],
      { receivedMs: Date.parse("2026-11-26T10:00:11.000Z"), userAgent: CHROME, cf: { country: "FR" } },
    );
    expect(recs[0]!.ts).toBe("2026-11-26T10:00:01.000Z");
    expect(recs[0]!.page.path).toBe("/spa/next");
    expect(recs[1]!.page.path).toBe("/c");
    expect(recs[1]!.page.utm.source).toBe("x");
    expect(recs[1]).toMatchObject({ user_id: "u", session_id: "s", bot: false, locale: "en-GB", received_at: "2026-11-26T10:00:11.000Z", geo: { country: "FR" } });
    expect(JSON.stringify(recs)).not.toMatch(/ip"|connecting/i);
  });
});

describe("privacy", () => {
  it("scrubs page URLs and props before they are stored", () => {
    const [pv, click, search] = enrichEvents(
      { site: "demo", anonymous_id: "a", sent_at: "2026-11-26T10:00:10.000Z", context: { page_url: "https://shop.example/account?token=t0p&email=jane@mail.example&utm_source=x&coupon=C1" }, events: [] },
      [
        { id: "1", type: "page_view", ts: "2026-11-26T10:00:00.000Z", props: { url: "https://shop.example/u/jane@mail.example?sid=1" } },
        { id: "2", type: "click", ts: "2026-11-26T10:00:00.000Z", props: { href: "https://x.example/?password=p", text: "mail jane@mail.example" } },
        { id: "3", type: "search", ts: "2026-11-26T10:00:00.000Z", props: { query: "order for jane@mail.example" } },
      ],
      { receivedMs: Date.parse("2026-11-26T10:00:11.000Z"), userAgent: CHROME, cf: undefined, scrubParams: ["coupon"] },
    );
    expect(pv!.props.url).toBe("https://shop.example/u/[email]");
    expect(pv!.page.url).toBe("https://shop.example/u/[email]");
    expect(click!.props).toEqual({ href: "https://x.example/", text: "mail [email]" });
    expect(click!.page.url).toBe("https://shop.example/account?utm_source=x");
    expect(search!.props.query).toBe("order for [email]");
    expect(JSON.stringify([pv, click, search])).not.toMatch(/jane|t0p|C1/);
  });
});

describe("server-key facts", () => {
  it("keep the event time as sent and do not take a missing user agent for a bot", () => {
    const env = { site: "demo", anonymous_id: "a", sent_at: "2026-11-26T12:00:00.000Z", events: [] };
    const ev = { id: "e", type: "custom" as const, ts: "2026-10-01T00:00:00.000Z", props: { name: "x" } };
    const receivedMs = Date.parse("2026-11-26T12:00:05.000Z");
    const [srv] = enrichEvents(env, [ev], { receivedMs, userAgent: null, cf: undefined, serverKey: true });
    expect(srv).toMatchObject({ ts: "2026-10-01T00:00:00.000Z", bot: false });
    const recent = { ...ev, ts: "2026-11-25T00:00:00.000Z" };
    const [brw] = enrichEvents(env, [recent], { receivedMs, userAgent: null, cf: undefined });
    expect(brw).toMatchObject({ ts: new Date(receivedMs - (Date.parse(env.sent_at) - Date.parse(recent.ts))).toISOString(), bot: true });
    // Outside the browser's window (checkEventTimes rejects it first), enrichment still never stores a time outside it.
    const [old] = enrichEvents(env, [ev], { receivedMs, userAgent: null, cf: undefined });
    expect(old!.ts).toBe(new Date(receivedMs - 7 * 86_400_000).toISOString());
    expect(detectBot("Googlebot/2.1 (+http://www.google.com/bot.html)", undefined, true)).toBe(true);
  });
});
