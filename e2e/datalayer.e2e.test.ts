/**
 * The dataLayer bridge (/datalayer.js) in real headless Chromium against the real collector
 * (`wrangler dev`): a shop page on another origin (127.0.0.1, another port: an allowed origin
 * of site "demo") pushes GA4 events to its dataLayer before and after the scripts load, in
 * either load order, and through the Google Tag Manager tag of docs/GTM.md; the mapped events
 * must be in the user's profile and in the lake, and nothing else.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { type Browser, type Page } from "playwright-core";
import { launchChromium } from "./support/browser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "../client-snippet/src/types";
import { eventually } from "../test/eventually";
import { freePort, startCollector, type Collector } from "./support/collector";

declare global {
  interface Window {
    // The same declaration as in snippet.e2e.test.ts (one program); the stub's queue is read with a cast.
    ec: Client & ((method: string, ...args: unknown[]) => unknown);
    dataLayer: unknown[];
  }
}

const EVENTS = "view_item,add_to_cart,purchase,search,sign_up";
let col: Collector;
let browser: Browser;
let shop: { url: string; server: Server };
/** Pages of the shop origin, by path: set per test. */
const pages = new Map<string, string>();

/** What the page pushes before any collector script has run: GTM's own entries, GA4 e-commerce, gtag, PII, an event not configured. */
const BEFORE = `
window.dataLayer = window.dataLayer || [];
function gtag() { dataLayer.push(arguments); }
dataLayer.push({ event: "gtm.js", "gtm.start": Date.now() });
dataLayer.push({ ecommerce: null });
dataLayer.push({ event: "view_item", ecommerce: { currency: "eur", value: 59, items: [{ item_id: "sku-1", item_name: "Blue runner", item_category: "shoes", item_brand: "Fleet", price: 59 }] } });
gtag("event", "search", { search_term: "boots" });
dataLayer.push({ event: "sign_up", method: "email", email: "jane.doe@example.com", note: "mail me at jane.doe@example.com", "gtm.uniqueEventId": 7 });
dataLayer.push({ event: "scroll", percent_scrolled: 90 });
`;

/** What the page pushes once everything has loaded. */
const after = (order: string) => `
dataLayer.push({ ecommerce: null });
dataLayer.push({ event: "add_to_cart", ecommerce: { currency: "EUR", value: 118, items: [{ item_id: "sku-1", price: 59, quantity: 2 }] } });
dataLayer.push({ event: "gtm.click", "gtm.element": "button" });
dataLayer.push({ event: "purchase", ecommerce: { transaction_id: "${order}", value: 118, currency: "EUR", items: [{ item_id: "sku-1", price: 59, quantity: 2 }] } });
`;

const STUB = "window.ec=window.ec||function(){(ec.q=ec.q||[]).push(arguments)}";

beforeAll(async () => {
  const port = await freePort();
  const server = createServer((req, res) => {
    const html = pages.get(req.url!.split("?")[0]!);
    res.writeHead(html ? 200 : 404, { "content-type": "text/html; charset=utf-8" });
    res.end(html ?? "not found");
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  shop = { url: `http://127.0.0.1:${port}`, server };
  [col, browser] = await Promise.all([
    startCollector(),
    launchChromium(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await col?.stop();
  await new Promise((r) => shop?.server.close(r));
});

/** Every record of this visitor in the lake. */
const lake = async (anon: string) => (await col.lakeRecords("events/site=demo/")).filter((r) => r.anonymous_id === anon);

/** Adds a script tag with data attributes, as a tag manager does. */
const inject = (page: Page, src: string, data: Record<string, string>) =>
  page.evaluate(
    ([src, data]) =>
      new Promise<void>((resolve, reject) => {
        const s = document.createElement("script");
        s.src = src;
        for (const [k, v] of Object.entries(data)) s.setAttribute(`data-${k}`, v);
        s.onload = () => resolve();
        s.onerror = () => reject(new Error(`${src} did not load`));
        document.head.appendChild(s);
      }),
    [src, data] as const,
  );

/** The profile once every mapped event is in, with nothing else in it. */
async function expectMapped(anon: string, order: string) {
  const p = await eventually(async () => {
    const p = await col.profile("demo", anon);
    return p && p.counts.purchase === 1 && p.counts.product_view === 1 && p.counts.search === 1 && p.counts.custom === 1 && p.counts.add_to_cart === 1 && p;
  }, { what: "mapped dataLayer events in the profile", ms: 30_000, every: 250 });
  // The snippet's own page view, and nothing from gtm.*, ecommerce: null or the unconfigured scroll event.
  expect(Object.fromEntries(Object.entries(p.counts).filter(([, n]) => n > 0))).toEqual({ page_view: 1, product_view: 1, search: 1, custom: 1, add_to_cart: 1, purchase: 1 });
  expect(p.recent_products[0]!.product_id).toBe("sku-1");
  expect(p.recent_searches[0]!.query).toBe("boots");
  expect(p.purchases.count).toBe(1);
  expect(p.purchases.revenue).toEqual({ EUR: 118 });
  expect(p.purchases.last_order_ids).toContain(order);
}

describe("dataLayer bridge in Chromium", () => {
  it("bridge loaded before the snippet: pushes before and after reach the profile through the ec stub", async () => {
    const order = `T-${Date.now()}-a`;
    // The bridge runs first (a plain script tag), the snippet is added later: the bridge made the stub.
    pages.set("/bridge-first", `<!doctype html><title>shop</title><script>${BEFORE}</script>
<script src="${col.url}/datalayer.js" data-events="${EVENTS}"></script>`);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${shop.url}/bridge-first`);
    // Before the snippet: the replayed entries wait in the stub's queue, nothing has been sent.
    const queued = await page.evaluate(() => ((window.ec as unknown as { q?: unknown[] }).q ?? []).map((a) => Array.from(a as ArrayLike<unknown>)));
    expect(queued.map((a) => a[1])).toEqual(["product_view", "search", "custom"]);
    expect(JSON.stringify(queued)).not.toContain("jane");
    await inject(page, `${col.url}/snippet.js`, { site: "demo" });
    await page.waitForFunction(() => typeof window.ec?.ids === "function");
    const anon = await page.evaluate(() => window.ec.ids().anonymous_id);
    await page.evaluate(after(order));
    await page.evaluate(() => window.ec.flush());
    await expectMapped(anon, order);
    await context.close();
  });

  it("snippet loaded before the bridge: the bridge replays the array and forwards later pushes", async () => {
    const order = `T-${Date.now()}-b`;
    pages.set("/snippet-first", `<!doctype html><title>shop</title><script>${BEFORE}</script>
<script>${STUB}</script><script src="${col.url}/snippet.js" data-site="demo"></script>`);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${shop.url}/snippet-first`);
    await page.waitForFunction(() => typeof window.ec?.ids === "function");
    const anon = await page.evaluate(() => window.ec.ids().anonymous_id);
    await inject(page, `${col.url}/datalayer.js`, { events: EVENTS });
    // push keeps its behaviour: the array grows, the return value is the new length.
    const pushed = await page.evaluate(() => [window.dataLayer.push({ event: "not_configured" }), window.dataLayer.length]);
    expect(pushed[0]).toBe(pushed[1]);
    await page.evaluate(after(order));
    await page.evaluate(() => window.ec.flush());
    await expectMapped(anon, order);
    await context.close();
  });

  it("the Google Tag Manager Custom HTML tag of docs/GTM.md, and the stored records", async () => {
    const order = `T-${Date.now()}-c`;
    const doc = readFileSync(new URL("../docs/GTM.md", import.meta.url), "utf8");
    const tag = /```html\n([\s\S]*?)```/.exec(doc)![1]!;
    expect(tag).toContain('"https://collector.example.com"');
    const html = tag.replace('"https://collector.example.com"', JSON.stringify(col.url)).replace('var SITE = "shop"', 'var SITE = "demo"');
    expect(html).toContain('var SITE = "demo"');
    // GTM injects the tag's HTML into the page after its own dataLayer entries.
    pages.set("/gtm", `<!doctype html><title>shop</title><script>${BEFORE}</script>${html}`);
    const requests: string[] = [];
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on("request", (r) => r.url().endsWith("/v1/collect") && requests.push(r.postData() ?? ""));
    await page.goto(`${shop.url}/gtm`);
    await page.waitForFunction(() => typeof window.ec?.ids === "function");
    await page.waitForFunction(() => window.dataLayer.push !== Array.prototype.push);
    const anon = await page.evaluate(() => window.ec.ids().anonymous_id);
    await page.evaluate(after(order));
    await page.evaluate(() => window.ec.flush());
    await expectMapped(anon, order);

    const rs = await eventually(async () => {
      const rs = await lake(anon);
      return rs.some((r) => r.type === "purchase") && rs.length >= 6 && rs;
    }, { what: "the records in the lake", ms: 60_000, every: 250 });
    const by = (t: string) => rs.filter((r) => r.type === t).map((r) => r.props);
    expect(by("product_view")).toEqual([{ product_id: "sku-1", category: "shoes", brand: "Fleet", price: 59, currency: "EUR" }]);
    expect(by("search")).toEqual([{ query: "boots" }]);
    expect(by("custom")).toEqual([{ name: "sign_up", properties: { method: "email" } }]);
    expect(by("add_to_cart")).toEqual([{ product_id: "sku-1", quantity: 2, price: 59, currency: "EUR" }]);
    expect(by("purchase")).toEqual([{ order_id: order, revenue: 118, currency: "EUR", items: [{ product_id: "sku-1", quantity: 2, price: 59 }] }]);
    expect(rs).toHaveLength(6);
    // No e-mail address left the page, in any request.
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.join("\n")).not.toContain("jane");
    expect(JSON.stringify(rs)).not.toContain("jane");
    await context.close();
  });
});
