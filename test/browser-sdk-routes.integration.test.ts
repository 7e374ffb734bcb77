/**
 * What the unmodified browser SDKs need from the collector, in workerd: the settings documents
 * (analytics.js, RudderStack v3), analytics.js's short paths and metrics, the SDKs' preflights,
 * browser-key identify under the site's identity policy, and consent stated by the SDKs.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signUserId } from "../worker/lib/identity";
import { eventually } from "./eventually";
import { CHROME, get, uid } from "./helpers";

const json = async (r: Response) => (await r.json()) as any;
const basic = (key: string) => `Basic ${btoa(`${key}:`)}`;
const ORIGIN = "http://localhost:5173";
const fetchW = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) => exports.default.fetch(new Request(`https://collector.test${path}`, { ...init, headers: { "user-agent": CHROME, ...init.headers } }));

/** As analytics.js sends a call: text/plain, Basic auth, writeKey in the body too. */
const ajs = (path: string, key: string, body: Record<string, unknown>, origin = ORIGIN) =>
  fetchW(path, { method: "POST", headers: { "content-type": "text/plain", authorization: basic(key), origin }, body: JSON.stringify({ writeKey: key, ...body }) });
const msg = (over: Record<string, unknown>) => ({ messageId: uid("ajs"), anonymousId: uid("anon"), timestamp: new Date().toISOString(), sentAt: new Date().toISOString(), context: {}, ...over });

describe("GET /v1/projects/:writeKey/settings (Segment analytics.js)", () => {
  const settings = (key: string, origin?: string) => fetchW(`/v1/projects/${key}/settings`, { headers: origin ? { origin } : {} });

  it("answers the browser key from an allowed origin: Segment.io at the collector, cacheable for 60 s", async () => {
    const r = await settings("demo-browser-key", ORIGIN);
    expect(r.status).toBe(200);
    expect(r.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(r.headers.get("cache-control")).toBe("private, max-age=60");
    const b = await json(r);
    expect(Object.keys(b.integrations)).toEqual(["Segment.io"]);
    expect(b.integrations["Segment.io"]).toMatchObject({ apiKey: "demo-browser-key", apiHost: "collector.test/v1", protocol: "https" });
    expect(b.metrics).toMatchObject({ host: "collector.test/v1" });
  });

  it("401 for an unknown key, 403 for a server key, other origins and no origin; errors name the field and are not cached", async () => {
    const unknown = await settings("no-such-key-123", ORIGIN);
    expect(unknown.status).toBe(401);
    expect(await json(unknown)).toMatchObject({ error: "unknown write key", details: [{ path: "writeKey" }] });
    expect(unknown.headers.get("cache-control")).toBe("no-store");
    const server = await settings("test-server-key", ORIGIN);
    expect(server.status).toBe(403);
    expect(await json(server)).toMatchObject({ details: [{ path: "writeKey", message: expect.stringContaining("server key") }] });
    const evil = await settings("demo-browser-key", "https://evil.example");
    expect(evil.status).toBe(403);
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
    expect((await json(evil)).details[0].path).toBe("origin");
    // shop's origin is not demo's.
    expect((await settings("demo-browser-key", "https://shop.example")).status).toBe(403);
    expect((await settings("demo-browser-key")).status).toBe(403);
  });
});

describe("GET /sourceConfig/ (RudderStack v3)", () => {
  const config = (q: string, headers: Record<string, string>) => fetchW(`/sourceConfig/?p=npm&v=3.34.1&build=modern${q}&lockIntegrationsVersion=true&lockPluginsVersion=true`, { headers });

  it("answers the key from the query and from Basic auth: source enabled, no destinations", async () => {
    const r = await config("&writeKey=demo-browser-key", { origin: ORIGIN, authorization: basic("demo-browser-key") });
    expect(r.status).toBe(200);
    expect(r.headers.get("cache-control")).toBe("private, max-age=60");
    expect(await json(r)).toMatchObject({ source: { id: "demo", enabled: true, destinations: [], config: { statsCollection: { errors: { enabled: false } } } } });
    expect((await config("&writeKey=demo-browser-key", { origin: ORIGIN })).status).toBe(200);
    expect((await fetchW("/sourceConfig?writeKey=demo-browser-key", { headers: { origin: ORIGIN } })).status).toBe(200);
  });

  it("refuses unknown, server, missing and disagreeing keys, naming the field", async () => {
    expect(await json(await config("&writeKey=nope-nope-nope", { origin: ORIGIN }))).toMatchObject({ details: [{ path: "writeKey" }] });
    expect((await config("&writeKey=nope-nope-nope", { origin: ORIGIN })).status).toBe(401);
    expect((await config("", { origin: ORIGIN, authorization: basic("test-server-key") })).status).toBe(403);
    const none = await config("", { origin: ORIGIN });
    expect(none.status).toBe(401);
    expect((await json(none)).details[0].path).toBe("writeKey");
    const two = await config("&writeKey=demo-browser-key", { origin: ORIGIN, authorization: basic("shop-browser-key") });
    expect(two.status).toBe(400);
    expect((await json(two)).details[0].path).toBe("writeKey");
    expect((await config("&writeKey=demo-browser-key", { origin: "https://evil.example" })).status).toBe(403);
  });

  it("answers the preflights of both documents and of the data plane, with the SDKs' headers", async () => {
    const pre = (path: string, headers: string, origin = ORIGIN) => fetchW(path, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": headers } });
    const cfg = await pre("/sourceConfig/?writeKey=demo-browser-key", "authorization");
    expect(cfg.status).toBe(204);
    expect(cfg.headers.get("access-control-allow-headers")!.toLowerCase()).toContain("authorization");
    for (const path of ["/v1/track", "/v1/batch", "/v1/t", "/v1/b"]) {
      const r = await pre(path, "anonymousid,authorization,content-type,sentat,rsa-retry-attempt,rsa-since-last-attempt,rsa-since-first-attempt,rsa-retry-reason,x-retry-count");
      expect(r.status, path).toBe(204);
      const allowed = r.headers.get("access-control-allow-headers")!.toLowerCase().split(/\s*,\s*/);
      for (const h of ["anonymousid", "authorization", "content-type", "sentat", "rsa-retry-attempt", "rsa-retry-reason", "x-retry-count"]) expect(allowed, `${path} ${h}`).toContain(h);
    }
    expect((await pre("/v1/t", "authorization", "https://evil.example")).status).toBe(403);
  });
});

describe("analytics.js's short paths take the same payloads", () => {
  it("/v1/t, /v1/p, /v1/i, /v1/s, /v1/g, /v1/a and a batch /v1/b with sentAt on the batch only", async () => {
    const anon = uid("anon");
    const user = uid("u");
    const calls: [string, Record<string, unknown>][] = [
      ["/v1/p", msg({ anonymousId: anon, type: "page", properties: { url: "https://shop.example/p/sku-1", path: "/p/sku-1", title: "Shoe" } })],
      ["/v1/t", msg({ anonymousId: anon, type: "track", event: "Product Viewed", properties: { product_id: "sku-1", price: 10, currency: "EUR" } })],
      ["/v1/s", msg({ anonymousId: anon, type: "screen", name: "Home" })],
      ["/v1/i", msg({ anonymousId: anon, userId: user, type: "identify", traits: { plan: "pro" } })],
      ["/v1/g", msg({ anonymousId: anon, userId: user, type: "group", groupId: "acme" })],
      ["/v1/a", msg({ anonymousId: anon, userId: user, previousId: anon, type: "alias" })],
    ];
    for (const [path, body] of calls) {
      const r = await ajs(path, "demo-browser-key", body);
      expect(r.status, path).toBe(200);
      expect(await json(r), path).toMatchObject({ success: true, accepted: 1 });
    }
    const sentAt = new Date().toISOString();
    const batch = [msg({ anonymousId: anon, userId: user, type: "track", event: "Product Added", properties: { product_id: "sku-1" } }), msg({ anonymousId: anon, userId: user, type: "track", event: "Checkout Started" })].map(({ sentAt: _s, ...m }) => m);
    const b = await ajs("/v1/b", "demo-browser-key", { batch, sentAt });
    expect(await json(b)).toMatchObject({ success: true, accepted: 2, rejected: [] });
    const p = await json(await get(`/v1/profiles/demo/${user}`));
    expect(p.counts).toMatchObject({ page_view: 1, product_view: 1, add_to_cart: 1, custom: 5 });
    expect(p.anonymous_ids).toContain(anon);
  });

  it("RudderStack's beacon transport: POST /beacon/v1/batch?writeKey= as text/plain, no Authorization", async () => {
    const anon = uid("anon");
    const body = { batch: [msg({ anonymousId: anon, userId: "", type: "track", event: "Product Viewed", properties: { product_id: "sku-b" } })].map(({ sentAt: _s, ...m }) => m), sentAt: new Date().toISOString() };
    const r = await fetchW("/beacon/v1/batch?writeKey=demo-browser-key", { method: "POST", headers: { "content-type": "text/plain;charset=UTF-8", origin: ORIGIN }, body: JSON.stringify(body) });
    expect(await json(r)).toMatchObject({ success: true, accepted: 1 });
    expect((await json(await get(`/v1/profiles/demo/${anon}`))).counts.product_view).toBe(1);
    expect((await fetchW("/beacon/v1/batch?writeKey=demo-browser-key", { method: "POST", headers: { "content-type": "text/plain", origin: "https://evil.example" }, body: JSON.stringify(body) })).status).toBe(403);
  });

  it("RudderStack: userId \"\" before identify and a numeric session id", async () => {
    const anon = uid("anon");
    const r = await fetchW("/v1/track", { method: "POST", headers: { "content-type": "application/json;charset=UTF-8", authorization: basic("demo-browser-key"), origin: ORIGIN, anonymousid: btoa(anon) }, body: JSON.stringify(msg({ anonymousId: anon, userId: "", type: "track", event: "Products Searched", properties: { query: "boots" }, context: { sessionId: 1764000000000, sessionStart: true } })) });
    expect(await json(r)).toMatchObject({ accepted: 1, rejected: [] });
    const p = await json(await get(`/v1/profiles/demo/${anon}`));
    expect(p.user_id).toBeNull();
    expect(p.sessions.current.id).toBe("1764000000000");
  });

  it("an identify that lands after the track that followed it still merges the anonymous activity", async () => {
    const anon = uid("anon");
    const user = uid("u");
    const before = msg({ anonymousId: anon, type: "track", event: "Product Viewed", properties: { product_id: "sku-a" } });
    const identify = msg({ anonymousId: anon, userId: user, type: "identify", traits: {} });
    const after = msg({ anonymousId: anon, userId: user, type: "track", event: "Product Added", properties: { product_id: "sku-a" } });
    expect((await ajs("/v1/t", "demo-browser-key", before)).status).toBe(200);
    const [a, i] = await Promise.all([ajs("/v1/t", "demo-browser-key", after), new Promise((r) => setTimeout(r, 30)).then(() => ajs("/v1/i", "demo-browser-key", identify))]);
    expect([a.status, i.status]).toEqual([200, 200]);
    const p = await json(await get(`/v1/profiles/demo/${user}`));
    expect(p.counts).toMatchObject({ product_view: 1, add_to_cart: 1, custom: 1 });
    expect(p.anonymous_ids).toContain(anon);
  });
});

describe("browser-key identify on a site that requires signed user ids", () => {
  const SECURE = "https://secure.example";
  it("a valid user_id_sig in the traits verifies the user and merges the anonymous activity; the signature is not stored", async () => {
    const anon = uid("anon");
    const user = uid("u");
    const sig = await signUserId("test-identity-secret-0123456789", user);
    expect((await ajs("/v1/t", "secure-browser-key", msg({ anonymousId: anon, type: "track", event: "Product Viewed", properties: { product_id: "sku-1" } }), SECURE)).status).toBe(200);
    const r = await ajs("/v1/i", "secure-browser-key", msg({ anonymousId: anon, userId: user, type: "identify", traits: { plan: "pro", user_id_sig: sig } }), SECURE);
    expect(await json(r)).toMatchObject({ accepted: 1, rejected: [] });
    const p = await json(await get(`/v1/profiles/secure/${user}`));
    expect(p).toMatchObject({ user_id: user, identity: "verified", counts: { product_view: 1, custom: 1 } });
    expect(p.anonymous_ids).toContain(anon);
    expect(JSON.stringify(await json(await get(`/v1/profiles/secure/${user}/export`)))).not.toContain(sig);
  });

  it("without it, or with a wrong one, the events stay under the anonymous id", async () => {
    for (const traits of [{ plan: "pro" }, { user_id_sig: "0".repeat(64) }]) {
      const anon = uid("anon");
      const user = uid("u");
      expect((await ajs("/v1/i", "secure-browser-key", msg({ anonymousId: anon, userId: user, type: "identify", traits }), SECURE)).status).toBe(200);
      expect((await get(`/v1/profiles/secure/${user}`)).status).toBe(404);
      expect((await json(await get(`/v1/profiles/secure/${anon}`))).user_id).toBeNull();
    }
  });
});

describe("consent stated by the SDKs (consent_mode: required)", () => {
  const CO = "https://consent.example";
  it("holds events until a message grants a category, and drops them when all are denied", async () => {
    const anon = uid("anon");
    const t = (context: Record<string, unknown>, product: string) => ajs("/v1/t", "sdkconsent-browser-key", msg({ anonymousId: anon, type: "track", event: "Product Viewed", properties: { product_id: product }, context }), CO);
    expect(await json(await t({}, "sku-1"))).toMatchObject({ accepted: 1 });
    expect((await get(`/v1/profiles/sdkconsent/${anon}`)).status).toBe(404);
    expect(await json(await t({ consent: { categoryPreferences: { Analytics: true, Advertising: false } } }, "sku-2"))).toMatchObject({ accepted: 1 });
    const p = await json(await get(`/v1/profiles/sdkconsent/${anon}`));
    expect(p.counts.product_view).toBe(2);
    expect(p.consent).toEqual({ state: "granted", held_events: 0 });

    const other = uid("anon");
    const rs = (cm: Record<string, unknown> | undefined) => fetchW("/v1/track", { method: "POST", headers: { "content-type": "application/json", authorization: basic("sdkconsent-browser-key"), origin: CO }, body: JSON.stringify(msg({ anonymousId: other, type: "track", event: "E", context: cm ? { consentManagement: cm } : {} })) });
    const first = await rs(undefined);
    expect(first.status, JSON.stringify(await first.clone().json())).toBe(200);
    expect((await json(await get(`/v1/profiles/sdkconsent/${other}/export`))).held_events).toHaveLength(1);
    expect((await rs({ provider: "custom", allowedConsentIds: [], deniedConsentIds: ["C0002", "C0003"] })).status).toBe(200);
    const ex = await json(await get(`/v1/profiles/sdkconsent/${other}/export`));
    expect(ex.consent).toBe("denied");
    expect(ex.held_events).toEqual([]);
  });
});

describe("POST /v1/m (analytics.js metrics, no key)", () => {
  const metrics = (body: unknown, ip: string, origin = "https://consent.example") => fetchW("/v1/m", { method: "POST", headers: { "content-type": "text/plain", origin, "cf-connecting-ip": ip }, body: JSON.stringify(body) });
  const series = (n: number) => ({ series: Array.from({ length: n }, () => ({ type: "Counter", metric: "analytics_js.invoke", value: 1, tags: { library: "analytics.js", library_version: "npm:next-1.84.3", wk: "sdkconsent-browser-key" } })) });

  it("counts them in the metrics of the site that owns the origin, and keeps nothing personal", async () => {
    const r = await metrics(series(3), "203.0.113.50");
    expect(r.status).toBe(200);
    expect(await json(r)).toEqual({ counted: 3 });
    expect(r.headers.get("access-control-allow-origin")).toBe("https://consent.example");
    const stats = await eventually(async () => {
      const s = await json(await get("/v1/admin/stats/sdkconsent?minutes=5"));
      return s.totals.sdk_metrics["analytics_js.invoke"] >= 3 && s;
    }, { what: "the SDK metrics in the site's stats", ms: 15_000 });
    expect(stats.totals.sdk_metrics).toEqual({ "analytics_js.invoke": 3 });
    expect(JSON.stringify(stats)).not.toContain("203.0.113.50");
    expect(JSON.stringify(stats)).not.toContain("npm:next");
  });

  it("names the failing field, and is rate limited per IP", async () => {
    const bad = await metrics({ series: [{ metric: 1 }] }, "203.0.113.51");
    expect(bad.status).toBe(400);
    expect((await json(bad)).details[0].path).toBe("series[0].metric");
    // The test IP limiter allows 20 requests per 60 s.
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) statuses.push((await metrics(series(1), "203.0.113.52")).status);
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });
});
