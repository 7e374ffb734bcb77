/**
 * The unmodified browser SDKs in real headless Chromium against the real collector: Segment's
 * analytics.js (@segment/analytics-next: npm import, its batching option, and the classic
 * snippet) and RudderStack's v3 SDK (@rudderstack/analytics-js, its /bundled build), each
 * configured only as a site would (the collector as cdnURL / configUrl + data plane URL).
 *
 * Nothing may leave 127.0.0.1: Chromium resolves every other host to nothing
 * (--host-resolver-rules), and every request the page makes is recorded; a request to any
 * other host fails the test. (Playwright's page.route is not used on purpose: while any route
 * is set, Playwright answers every CORS preflight itself with permissive headers, so the
 * collector's own CORS answers would go untested.)
 */
import { createHmac, randomUUID } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./support/browser";
import { eventually } from "../test/eventually";
import { BROWSER_KEY, SERVER_KEY, startCollector, type Collector } from "./support/collector";
import { html, js, sdkBundles, staticSite } from "./support/sdk-pages";

const SIGNED_KEY = "signed-browser-key";
const IDENTITY_SECRET = "e2e-identity-secret-0123456789";
const SITES = {
  demo: { origins: ["http://localhost:*", "http://127.0.0.1:*"], browser_key: BROWSER_KEY },
  signed: { origins: ["http://127.0.0.1:*"], browser_key: SIGNED_KEY, require_identity_signature: true },
};
const SITE_SECRETS = { demo: { server_keys: [SERVER_KEY] }, signed: { identity_secret: IDENTITY_SECRET } };
/** What the site's backend renders into the page for a logged-in user. */
const signature = (userId: string) => createHmac("sha256", IDENTITY_SECRET).update(userId).digest("hex");

let collector: Collector;
let api: Collector;
let browser: Browser;
let site: Awaited<ReturnType<typeof staticSite>>;

beforeAll(async () => {
  let bundles: Awaited<ReturnType<typeof sdkBundles>>;
  [collector, browser, bundles] = await Promise.all([
    startCollector({ vars: { SITES: JSON.stringify(SITES), SITE_SECRETS: JSON.stringify(SITE_SECRETS) } }),
    launchChromium(["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]),
    sdkBundles(),
  ]);
  api = collector;
  const C = JSON.stringify(collector.url);
  const segment = (key: string, options = "{}") => `<script src="/segment.js"></script><script>window.analytics = AnalyticsBrowser.load({ writeKey: "${key}", cdnURL: ${C} }, ${options});</script>`;
  const rudder = (key: string, options = "") => `<script src="/rudder.js"></script><script>window.rudder = new RudderAnalytics(); rudder.load("${key}", ${C}, { configUrl: ${C}${options} });</script>`;
  site = await staticSite({
    "/segment.js": js(bundles.segment),
    "/rudder.js": js(bundles.rudder),
    "/analytics.js/v1/demo-browser-key/analytics.min.js": js(bundles.segmentStandalone),
    "/segment.html": html("Segment npm", segment(BROWSER_KEY)),
    "/segment-batching.html": html("Segment batching", segment(BROWSER_KEY, `{ integrations: { "Segment.io": { deliveryStrategy: { strategy: "batching", config: { size: 4, timeout: 300 } } } } }`)),
    "/segment-signed.html": html("Segment signed", segment(SIGNED_KEY)),
    "/segment-classic.html": html("Segment classic snippet", classicSnippet(collector.url)),
    "/rudder.html": html("RudderStack npm", rudder(BROWSER_KEY)),
    "/rudder-signed.html": html("RudderStack signed", rudder(SIGNED_KEY)),
    "/rudder-beacon.html": html("RudderStack beacon", rudder(BROWSER_KEY, ", useBeacon: true, beaconQueueOptions: { flushQueueInterval: 300 }")),
  });
});
afterAll(async () => {
  await browser?.close();
  await site?.stop();
  await collector?.stop();
});

/**
 * Segment's classic snippet (5.2.0) with the one change a site makes: `analytics._cdn` = the
 * collector. Its script would stay on Segment's CDN; this test serves the same file
 * (analytics.js's standalone build) from the site itself, since no other host is reachable.
 */
function classicSnippet(collectorUrl: string): string {
  return `<script>
!function(){var i="analytics",analytics=window[i]=window[i]||[];if(!analytics.initialize)if(analytics.invoked)window.console&&console.error&&console.error("Segment snippet included twice.");else{analytics.invoked=!0;analytics.methods=["trackSubmit","trackClick","trackLink","trackForm","pageview","identify","reset","group","track","ready","alias","debug","page","screen","once","off","on","addSourceMiddleware","addIntegrationMiddleware","setAnonymousId","addDestinationMiddleware","register"];analytics.factory=function(e){return function(){if(window[i].initialized)return window[i][e].apply(window[i],arguments);var n=Array.prototype.slice.call(arguments);if(["track","screen","alias","group","page","identify"].indexOf(e)>-1){var c=document.querySelector("link[rel='canonical']");n.push({__t:"bpc",c:c&&c.getAttribute("href")||void 0,p:location.pathname,u:location.href,s:location.search,t:document.title,r:document.referrer})}n.unshift(e);analytics.push(n);return analytics}};for(var n=0;n<analytics.methods.length;n++){var key=analytics.methods[n];analytics[key]=analytics.factory(key)}analytics.load=function(key,n){var t=document.createElement("script");t.type="text/javascript";t.async=!0;t.setAttribute("data-global-segment-analytics-key",i);t.src="/analytics.js/v1/" + key + "/analytics.min.js";var r=document.getElementsByTagName("script")[0];r.parentNode.insertBefore(t,r);analytics._loadOptions=n};analytics._writeKey="demo-browser-key";analytics._cdn=${JSON.stringify(collectorUrl)};analytics.SNIPPET_VERSION="5.2.0";
analytics.load("demo-browser-key");
analytics.page();
}}();
</script>`;
}

/** A page in its own context, with every request recorded and any other host flagged. */
async function open(path: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const requests: string[] = [];
  const offsite: string[] = [];
  const failures: string[] = [];
  const errors: string[] = [];
  const bodies: { path: string; body: string | null }[] = [];
  page.on("request", (r) => {
    if (r.method() === "POST") bodies.push({ path: new URL(r.url()).pathname, body: r.postData() });
    const u = new URL(r.url());
    requests.push(`${r.method()} ${u.origin === collector.url ? "collector" : u.origin === site.url ? "site" : u.origin}${u.pathname}`);
    if (u.origin !== collector.url && u.origin !== site.url) offsite.push(r.url());
  });
  page.on("requestfailed", (r) => failures.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
  page.on("response", (r) => void (r.status() >= 400 && failures.push(`${r.status()} ${r.request().method()} ${r.url()}`)));
  page.on("console", (m) => void (m.type() === "error" && errors.push(m.text())));
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(site.url + path);
  return { context, page, requests, offsite, failures, errors, bodies };
}

/** Every stored record of these ids in a site's lake, by id, waiting until all are there; an id stored twice fails. */
async function lakeRecords(siteId: string, ids: readonly string[]): Promise<Map<string, any>> {
  const want = new Set(ids);
  return eventually(async () => {
    const found = new Map<string, any>();
    for (const o of await api.lakeList(`events/site=${siteId}/`)) {
      for (const line of (await api.lakeText(o.key)).split("\n")) {
        if (!line) continue;
        const r = JSON.parse(line);
        if (!want.has(r.id)) continue;
        expect(found.has(r.id), `${r.id} is in the lake twice`).toBe(false);
        found.set(r.id, r);
      }
    }
    return found.size === want.size ? found : null;
  }, { what: `every id of ${siteId} in the lake`, ms: 60_000, every: 300 });
}

/** Every record of the lake whose anonymous id is this one (to show nothing else was made). */
async function lakeOfAnon(siteId: string, anon: string): Promise<any[]> {
  const out: any[] = [];
  for (const o of await api.lakeList(`events/site=${siteId}/`)) for (const line of (await api.lakeText(o.key)).split("\n")) if (line && JSON.parse(line).anonymous_id === anon) out.push(JSON.parse(line));
  return out;
}

/** The e-commerce journey of both SDKs, and what each call must become. */
const JOURNEY = [
  ["page_view"],
  ["track", "Product Viewed", { product_id: "sku-1", category: "shoes", brand: "Acme", price: 59.9, currency: "EUR" }, "product_view"],
  ["track", "Product Clicked", { product_id: "sku-2", category: "shoes", position: 3, list_id: "home" }, "product_click"],
  ["track", "Product Added", { product_id: "sku-1", quantity: 1, price: 59.9, currency: "EUR" }, "add_to_cart"],
  ["track", "Products Searched", { query: "blue shoes" }, "search"],
  ["track", "Order Completed", { order_id: "o-1", revenue: 59.9, currency: "EUR", products: [{ product_id: "sku-1", quantity: 1, price: 59.9 }] }, "purchase"],
  ["identify"],
  ["track", "Product Viewed", { product_id: "sku-3", category: "boots" }, "product_view"],
  ["track", "Newsletter Subscribed", { list: "weekly" }, "custom"],
] as const;
const TYPES = JOURNEY.map((j) => (j[0] === "page_view" ? "page_view" : j[0] === "identify" ? "custom" : j[3]));
const IDENTIFY_AT = 6;

/** Checks the profile and the lake after the journey: each call once, typed, merged into the user after identify. */
async function checkJourney(siteId: string, anon: string, user: string, ids: string[]) {
  expect(ids).toHaveLength(JOURNEY.length);
  expect(new Set(ids).size).toBe(JOURNEY.length);
  const lake = await lakeRecords(siteId, ids);
  expect(ids.map((id) => lake.get(id).type)).toEqual(TYPES);
  expect(lake.get(ids[1]!).props).toEqual({ product_id: "sku-1", category: "shoes", brand: "Acme", price: 59.9, currency: "EUR" });
  expect(lake.get(ids[2]!).props).toEqual({ product_id: "sku-2", category: "shoes", position: 3, list: "home" });
  expect(lake.get(ids[3]!).props).toEqual({ product_id: "sku-1", quantity: 1, price: 59.9, currency: "EUR" });
  expect(lake.get(ids[4]!).props).toEqual({ query: "blue shoes" });
  expect(lake.get(ids[5]!).props).toEqual({ order_id: "o-1", revenue: 59.9, currency: "EUR", items: [{ product_id: "sku-1", quantity: 1, price: 59.9 }] });
  expect(lake.get(ids[IDENTIFY_AT]!).props).toMatchObject({ name: "identify", properties: { plan: "pro" } });
  expect(lake.get(ids[8]!).props).toEqual({ name: "Newsletter Subscribed", properties: { list: "weekly" } });
  expect(lake.get(ids[0]!).page.url).toContain(site.url);
  for (const r of lake.values()) expect(r.anonymous_id).toBe(anon);
  // Nothing else was made for this visitor (no duplicates under other ids).
  expect((await lakeOfAnon(siteId, anon)).map((r) => r.id).sort()).toEqual([...ids].sort());

  const profile = await eventually(async () => {
    const p = await api.profile(siteId, user).catch(() => null);
    return p && p.counts.product_view === 2 && p;
  }, { what: `the profile of ${user} with both product views`, ms: 30_000 });
  expect(profile).toMatchObject({ user_id: user, counts: { page_view: 1, product_view: 2, product_click: 1, add_to_cart: 1, search: 1, purchase: 1, custom: 2 } });
  expect(profile.anonymous_ids).toContain(anon);
  expect(profile.purchases.count).toBe(1);
  expect(profile.recent_products.map((p: { product_id: string }) => p.product_id)).toEqual(expect.arrayContaining(["sku-1", "sku-2", "sku-3"]));
  return { lake, profile };
}

/**
 * Runs the journey with analytics.js in the page: the anonymous part first (delivered before
 * identify), then identify and the later calls together, the way a site fires them. analytics.js
 * adds the current userId when it sends, so calls queued in the same tick as identify carry it.
 */
function segmentJourney(page: Page, user: string, traits: Record<string, unknown>) {
  return page.evaluate(
    async ({ journey, user, traits, at }) => {
      const a = (window as any).analytics;
      const call = (j: any) => (j[0] === "page_view" ? a.page() : j[0] === "identify" ? a.identify(user, traits) : a.track(j[1], j[2]));
      const anonymous = await Promise.all(journey.slice(0, at).map(call));
      const known = await Promise.all(journey.slice(at).map(call));
      const ctxs = [...anonymous, ...known];
      const u = await a.user();
      return { anon: u.anonymousId() as string, ids: ctxs.map((c: any) => c.event.messageId as string), failed: ctxs.filter((c: any) => c.failedDelivery()).length };
    },
    { journey: JOURNEY as unknown as unknown[], user, traits, at: IDENTIFY_AT },
  );
}

/** The same with RudderStack's SDK; each call's callback gets the event it queued. */
function rudderJourney(page: Page, user: string, traits: Record<string, unknown>) {
  return page.evaluate(
    async ({ journey, user, traits }) => {
      const r = (window as any).rudder;
      await new Promise<void>((res) => r.ready(() => res()));
      const anonBefore = r.getAnonymousId() as string;
      const ids = await Promise.all(
        journey.map(
          (j: any) =>
            new Promise<string>((res) => {
              const cb = (ev: any) => res(ev?.messageId);
              if (j[0] === "page_view") r.page(cb);
              else if (j[0] === "identify") r.identify(user, traits, cb);
              else r.track(j[1], j[2], cb);
            }),
        ),
      );
      return { anon: anonBefore, ids };
    },
    { journey: JOURNEY as unknown as unknown[], user, traits },
  );
}

describe("the guard", () => {
  it("records and fails a request to any other host", async () => {
    const t = await open("/segment.html");
    const r = await t.page.evaluate(() => fetch("https://cdn.segment.com/v1/projects/x/settings").then(() => "reached", (e) => String(e)));
    expect(r).toMatch(/TypeError/);
    expect(t.offsite).toEqual(["https://cdn.segment.com/v1/projects/x/settings"]);
    expect(t.failures.some((f) => f.includes("cdn.segment.com"))).toBe(true);
    await t.context.close();
  });
});

describe("Segment analytics.js (@segment/analytics-next) in Chromium", () => {
  it("npm import with cdnURL: settings from the collector, each call once in the lake with the collector's types, merged into the user after identify", async () => {
    const t = await open("/segment.html");
    const user = `seg-user-${randomUUID()}`;
    const out = await segmentJourney(t.page, user, { plan: "pro", email_domain: "example.com" });
    expect(out.failed).toBe(0);
    const { lake } = await checkJourney("demo", out.anon, user, out.ids);
    // Before identify: the anonymous visitor; after: the user (asserted: demo does not require signatures).
    expect(lake.get(out.ids[1]!).user_id).toBeNull();
    expect(lake.get(out.ids[7]!)).toMatchObject({ user_id: user, identity: "asserted" });
    expect(lake.get(out.ids[1]!).ua.browser).toMatch(/Chrom/);

    expect(t.offsite).toEqual([]);
    expect(t.failures).toEqual([]);
    expect(t.requests).toContain("GET collector/v1/projects/demo-browser-key/settings");
    for (const p of ["/v1/p", "/v1/t", "/v1/i"]) expect(t.requests).toContain(`POST collector${p}`);
    // Metrics are off over http (analytics.js would send them over https): none sent.
    expect(t.requests.filter((r) => r.endsWith("/v1/m"))).toEqual([]);
    await t.context.close();
  });

  it("its batching delivery posts /v1/b, with sentAt on the batch only", async () => {
    const t = await open("/segment-batching.html");
    const user = `seg-batch-${randomUUID()}`;
    const out = await segmentJourney(t.page, user, { plan: "pro" });
    await checkJourney("demo", out.anon, user, out.ids);
    expect(t.requests).toContain("POST collector/v1/b");
    const batches = t.bodies.filter((b) => b.path === "/v1/b").map((b) => JSON.parse(b.body!));
    expect(batches.flatMap((b) => b.batch)).toHaveLength(JOURNEY.length);
    for (const b of batches) {
      expect(typeof b.sentAt).toBe("string");
      for (const m of b.batch) expect(m).not.toHaveProperty("sentAt");
    }
    expect(t.requests.filter((r) => /\/v1\/[tpi]$/.test(r))).toEqual([]);
    expect(t.offsite).toEqual([]);
    expect(t.failures).toEqual([]);
    await t.context.close();
  });

  it("the classic snippet with analytics._cdn = the collector", async () => {
    const t = await open("/segment-classic.html");
    const ids = await t.page.evaluate(async () => {
      const a = (window as any).analytics;
      await new Promise<void>((res) => a.ready(() => res()));
      // Once loaded, window.analytics is the real instance in place of the snippet's stub.
      const loaded = (window as any).analytics;
      const ctx = await loaded.track("Product Viewed", { product_id: "sku-9", category: "hats" });
      return { anon: loaded.user().anonymousId() as string, track: ctx.event.messageId as string };
    });
    const records = await eventually(async () => {
      const rs = await lakeOfAnon("demo", ids.anon);
      return rs.length === 2 && rs;
    }, { what: "the classic snippet's page and track in the lake", ms: 60_000, every: 300 });
    expect(records.map((r) => r.type).sort()).toEqual(["page_view", "product_view"]);
    expect(records.find((r) => r.id === ids.track)!.props).toEqual({ product_id: "sku-9", category: "hats" });
    expect(t.offsite).toEqual([]);
    expect(t.failures).toEqual([]);
    await t.context.close();
  });

  it("on a site that requires signed ids: the signature from the site's backend, added to every call's context by a source middleware, verifies the user", async () => {
    const t = await open("/segment-signed.html");
    const user = `seg-signed-${randomUUID()}`;
    const sig = signature(user);
    // What the site's page does once its backend has rendered the signature for the logged-in user.
    await t.page.evaluate((sig) => (window as any).analytics.addSourceMiddleware(({ payload, next }: any) => { payload.obj.context.user_id_sig = sig; next(payload); }), sig);
    const out = await segmentJourney(t.page, user, { plan: "pro" });
    const { lake, profile } = await checkJourney("signed", out.anon, user, out.ids);
    expect(profile.identity).toBe("verified");
    expect(lake.get(out.ids[7]!)).toMatchObject({ user_id: user, identity: "verified" });
    expect(JSON.stringify([...lake.values()])).not.toContain(sig);
    expect(JSON.stringify(await api.profile("signed", user))).not.toContain(sig);
    expect(t.offsite).toEqual([]);
    await t.context.close();
  });
});

describe("RudderStack JS SDK v3 (@rudderstack/analytics-js) in Chromium", () => {
  it("load(key, collector, { configUrl: collector }) with the /bundled build: source config and events from and to the collector only", async () => {
    const t = await open("/rudder.html");
    const user = `rs-user-${randomUUID()}`;
    const out = await rudderJourney(t.page, user, { plan: "pro" });
    const { lake } = await checkJourney("demo", out.anon, user, out.ids);
    expect(lake.get(out.ids[1]!).user_id).toBeNull(); // sent with userId "" before identify
    expect(lake.get(out.ids[7]!)).toMatchObject({ user_id: user, identity: "asserted" });
    // Its numeric session id is the session.
    expect(lake.get(out.ids[1]!).session_id).toMatch(/^\d{10,}$/);

    expect(t.offsite).toEqual([]);
    expect(t.failures).toEqual([]);
    expect(t.requests.some((r) => r.startsWith("GET collector/sourceConfig/"))).toBe(true);
    expect(t.requests).toContain("POST collector/v1/track");
    await t.context.close();
  });

  it("its beacon transport (useBeacon) posts /beacon/v1/batch?writeKey=", async () => {
    const t = await open("/rudder-beacon.html");
    const user = `rs-beacon-${randomUUID()}`;
    const out = await rudderJourney(t.page, user, { plan: "pro" });
    await checkJourney("demo", out.anon, user, out.ids);
    expect(t.requests).toContain("POST collector/beacon/v1/batch");
    expect(t.offsite).toEqual([]);
    await t.context.close();
  });

  it("on a site that requires signed ids: user_id_sig in the identify traits travels in context.traits and verifies every later event", async () => {
    const t = await open("/rudder-signed.html");
    const user = `rs-signed-${randomUUID()}`;
    const sig = signature(user);
    const out = await rudderJourney(t.page, user, { plan: "pro", user_id_sig: sig });
    const { lake, profile } = await checkJourney("signed", out.anon, user, out.ids);
    expect(profile.identity).toBe("verified");
    expect(lake.get(out.ids[7]!)).toMatchObject({ user_id: user, identity: "verified" });
    expect(lake.get(out.ids[IDENTIFY_AT]!).props.properties).not.toHaveProperty("user_id_sig");
    expect(JSON.stringify([...lake.values()])).not.toContain(sig);
    expect(t.offsite).toEqual([]);
    expect(t.failures).toEqual([]);
    await t.context.close();
  });
});
