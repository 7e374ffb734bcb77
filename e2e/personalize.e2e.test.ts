/**
 * Recommendations on the page, in real headless Chromium against the real collector: the demo
 * shop (snippet + /personalize.js, no key in the page) fills its rows from the site's template,
 * keeps them live over the stream, follows a sign-in, reports impressions and clicks, and a
 * click on a product changes the "recommended for you" row within the latency goal (median
 * <= 500 ms, p90 <= 1 s over 20 clicks). No request of the page carries a secret. The screenshot
 * is kept in test-results/; with UPDATE_SCREENSHOTS=1 also in docs/demo-recommendations.png (the README
 * shows it), so that an ordinary run leaves the working tree clean.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MISSIONS } from "../worker/demo/shop";
import { eventually } from "../test/eventually";
import { launchChromium } from "./support/browser";
import { installProbe, measureClicks, summarize } from "./support/click-latency";
import { ADMIN_TOKEN, READ_KEY, recordingProxy, SERVER_KEY, startCollector, type Collector, type LakeRecord } from "./support/collector";

/** Tests that assert a latency: one retry, as a stall of this shared 2-core machine (another test file's load) can slow one attempt; a latency that is over the bound every time still fails. */
const TIMED = { retry: 1 };

const IDENTITY_SECRET = "e2e-identity-secret-0123456789";
const SECRETS = [ADMIN_TOKEN, READ_KEY, SERVER_KEY, IDENTITY_SECRET];
const ROOT = new URL("..", import.meta.url);

interface Seen {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | null;
}

let col: Collector;
let browser: Browser;
const seen: Seen[] = [];
/** Uncaught errors of every demo page: personalize.js must never throw into the page. */
const pageErrors: string[] = [];

beforeAll(async () => {
  [col, browser] = await Promise.all([
    startCollector({ vars: { SITE_SECRETS: JSON.stringify({ demo: { server_keys: [SERVER_KEY], read_keys: [READ_KEY], identity_secret: IDENTITY_SECRET } }) } }),
    launchChromium(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await col?.stop();
});

/** The lake's records of this anonymous id, once `ready` says they are all there. */
function lakeRecords(anon: string, ready: (rs: LakeRecord[]) => boolean): Promise<LakeRecord[]> {
  return eventually(
    async () => {
      const mine = (await col.lakeRecords("events/site=demo/")).filter((r) => r.anonymous_id === anon);
      return ready(mine) && mine;
    },
    { what: "the page's events in the lake", ms: 60_000, every: 500 },
  );
}

/** Product ids of a row, in order. */
const rowIds = (page: Page, sel: string) => page.$$eval(`${sel} .rec`, (els) => els.map((e) => e.getAttribute("data-product-id")).join(" "));

/** A page of the demo whose every request is recorded (headers included) for the secrets check. */
async function openDemo(path = "/demo", base = col.url): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  context.on("request", async (r) => {
    try {
      seen.push({ url: r.url(), method: r.method(), headers: await r.allHeaders(), body: r.postData() });
    } catch {}
  });
  const page = await context.newPage();
  page.on("pageerror", (e) => pageErrors.push(`${page.url()}: ${e.message}`));
  await page.goto(base + path);
  await page.waitForFunction(() => typeof (window as any).ec?.recommend === "function");
  // The first list: trending from the demo's simulated shoppers (their statistics take a few seconds on a fresh collector).
  await page.waitForFunction(() => Number(document.querySelector("#for-you")?.getAttribute("data-ec-count")) > 0, undefined, { timeout: 60_000 });
  return { context, page };
}


describe("recommendations on the demo page (personalize.js) in Chromium", () => {
  it("fills the rows from the site's template, marked for click reporting, with catalogue fields", async () => {
    const { context, page } = await openDemo();
    const cards = await page.$$eval("#for-you .rec", (els) =>
      els.map((e) => ({ track: e.getAttribute("data-track"), list: e.getAttribute("data-list"), position: e.getAttribute("data-position"), id: e.getAttribute("data-product-id"), title: e.querySelector("strong")!.textContent, href: e.getAttribute("href") })),
    );
    expect(cards).toHaveLength(6);
    cards.forEach((c, i) => {
      expect(c).toMatchObject({ track: "product_click", list: "for-you", position: String(i + 1) });
      expect(c.title!.length).toBeGreaterThan(0);
      expect(c.href).toBe(`${col.url}/demo/p/${c.id}`);
    });
    // The placeholder is gone, the template stays; a fresh visitor gets trending items.
    expect(await page.$$eval("#for-you > p", (e) => e.length)).toBe(0);
    expect(await page.getAttribute("#for-you", "data-ec-strategy")).toBe("trending");
    // A product page gets its own "viewed together" row, never with the product itself.
    await page.click('.product-thumbnail[data-product-id="sku-2"]');
    await page.waitForFunction(() => Number(document.querySelector("#together")?.getAttribute("data-ec-count")) > 0);
    const together = (await rowIds(page, "#together")).split(" ");
    expect(together.length).toBeGreaterThan(0);
    expect(together).not.toContain("sku-2");
    expect(await page.$$eval("#together .rec", (els) => els.map((e) => e.getAttribute("data-list")))).toEqual(together.map(() => "viewed-together"));
    // A slot without a template, and one with a bad limit (the collector answers 400): the page
    // goes on, nothing is thrown, the other rows keep working.
    await page.evaluate(() => document.querySelector("main")!.insertAdjacentHTML("afterbegin", '<div id="broken" data-ec-recs="broken"></div><div id="bad" data-ec-recs="bad" data-limit="999" data-template="#rec-card"><p>kept</p></div>'));
    await page.waitForTimeout(1500);
    expect(await page.textContent("#bad")).toBe("kept");
    await page.click('.product-thumbnail[data-product-id="sku-19"]');
    await page.waitForFunction(() => document.querySelector("#together")?.getAttribute("data-context") === "sku-19");
    await page.waitForFunction(() => !Array.from(document.querySelectorAll("#together .rec")).some((e) => e.getAttribute("data-product-id") === "sku-19") && Number(document.querySelector("#together")?.getAttribute("data-ec-count")) > 0);
    expect(pageErrors).toEqual([]);
    await context.close();
  });

  it("a click on a product changes the 'recommended for you' row: median <= 500 ms, p90 <= 1 s over 20 clicks", TIMED, async () => {
    const { context, page } = await openDemo();
    await installProbe(page);
    // Products of another mission each time, so the newest product (the strongest seed) moves the list.
    const order = Array.from({ length: 20 }, (_, i) => MISSIONS[i % MISSIONS.length]![Math.floor(i / MISSIONS.length) % 5]!);
    const samples = await measureClicks(page, order);
    const s = summarize(samples);
    const fmt = (x: number) => (Number.isFinite(x) ? `${x} ms` : "no change");
    console.log(
      `click -> recommended row changed, ${s.clicks} clicks (${s.misses} without a change in 5 s): median ${fmt(s.total_ms.p50)}, p90 ${fmt(s.total_ms.p90)}, max ${fmt(s.total_ms.max)}; ` +
        `of which the snippet's priority window (click -> POST) median ${fmt(s.window_ms.p50)}, the POST median ${fmt(s.post_ms.p50)}; ` +
        `POST /v1/collect per click median ${s.requests_per_click.p50}, max ${s.requests_per_click.max}`,
    );
    mkdirSync(new URL("test-results/", ROOT), { recursive: true });
    writeFileSync(new URL("test-results/personalize-latency.json", ROOT), JSON.stringify({ summary: s, samples }, null, 2));
    expect(s.total_ms.p50).toBeLessThanOrEqual(500);
    expect(s.total_ms.p90).toBeLessThanOrEqual(1000);
    // The window: nothing leaves before ~250 ms; the click (its page) and the product page's
    // view and page view (the new page) are at most two requests.
    expect(s.window_ms.p50).toBeGreaterThanOrEqual(240);
    expect(s.requests_per_click.max).toBeLessThanOrEqual(2);
    expect(await page.getAttribute("#for-you", "data-ec-strategy")).toBe("personalized");

    // The screenshot for the README: a product page with both rows.
    await page.click('.product-thumbnail[data-product-id="sku-14"]');
    await page.waitForFunction(() => Number(document.querySelector("#together")?.getAttribute("data-ec-count")) > 0);
    // The panel polls every 1.5 s: wait until it shows this click too.
    await page.waitForFunction(() => /"recent_products": \[\s*"sku-14 /.test(document.querySelector("#profile")!.textContent!), undefined, { timeout: 10_000 });
    await page.waitForTimeout(500);
    const png = await page.screenshot({ fullPage: false });
    writeFileSync(new URL("test-results/demo-recommendations.png", ROOT), png);
    if (process.env.UPDATE_SCREENSHOTS === "1") writeFileSync(new URL("docs/demo-recommendations.png", ROOT), png);
    await context.close();
  });

  it("reports impressions and clicks on recommended items as events named after the slot", async () => {
    const { context, page } = await openDemo();
    const anon = await page.evaluate(() => (window as any).ec.ids().anonymous_id as string);
    const first = await page.getAttribute("#for-you .rec >> nth=1", "data-product-id");
    await page.click("#for-you .rec >> nth=1");
    await page.evaluate(() => (window as any).ec.flush());
    const records = await lakeRecords(anon, (rs) => rs.some((r) => r.type === "product_click") && rs.some((r) => r.type === "custom" && r.props.name === "recs_impression"));
    const click = records.find((r) => r.type === "product_click")!;
    expect(click.props).toMatchObject({ product_id: first, position: 2, list: "for-you" });
    const imp = records.find((r) => r.type === "custom" && r.props.name === "recs_impression")!;
    expect(imp.props.properties).toMatchObject({ list: "for-you", count: 6, strategy: "trending" });
    expect((imp.props.properties as { items: string }).items.split(" ")).toHaveLength(6);
    await context.close();
  });

  it("ec.recommend hands the list to a callback, also when called through the stub before the scripts loaded", async () => {
    const context = await browser.newContext();
    await context.addInitScript(() => {
      const w = window as any;
      w.ec = w.ec || function () { (w.ec.q = w.ec.q || []).push(arguments); };
      w.__lists = [];
      w.ec("recommend", { limit: 3, category: "watches" }, (items: { product_id: string; category: string }[]) => w.__lists.push(items));
    });
    const page = await context.newPage();
    await page.goto(`${col.url}/demo`);
    await page.waitForFunction(() => (window as any).__lists.length > 0, undefined, { timeout: 60_000 });
    const items = await page.evaluate(() => (window as any).__lists[0] as { product_id: string; category: string }[]);
    expect(items.length).toBeGreaterThan(0);
    expect(items.length).toBeLessThanOrEqual(3);
    expect(items.every((i) => i.category === "watches")).toBe(true);
    // And ec.recommend after load: a stop function.
    const stopped = await page.evaluate(() => typeof (window as any).ec.recommend({ limit: 2 }, () => {}) === "function");
    expect(stopped).toBe(true);
    await context.close();
  });

  it("after sign-in the stream follows the user: the row keeps changing with the user's clicks", async () => {
    const { context, page } = await openDemo();
    await installProbe(page);
    await page.click("#signin");
    // The merge happens with the sign-in's events; the clicks after it go to the user's object.
    const after = await measureClicks(page, ["sku-19", "sku-2", "sku-6"], { timeoutMs: 10_000 });
    console.log(`after sign-in, click -> row changed: ${after.map((x) => x.total).join(", ")} ms`);
    expect(after.every((x) => x.total !== null)).toBe(true);
    expect(await page.evaluate(() => (window as any).ec.ids().user_id)).toBe("u-demo");
    await context.close();
  });

  it("counts the collect requests of a typical visit (home page, a product page, then leaving)", async () => {
    // Beacons sent while a page unloads are not reported to Playwright: a recording proxy sees them.
    const proxy = await recordingProxy(col.url);
    const { context, page } = await openDemo("/demo", proxy.url);
    const before = proxy.requests.filter((r) => r.path === "/v1/collect").length;
    await page.mouse.move(300, 300);
    await page.mouse.wheel(0, 600);
    await page.waitForTimeout(2000);
    await page.click('.product-thumbnail[data-product-id="sku-7"]');
    await page.waitForTimeout(1500);
    await page.mouse.wheel(0, 900);
    await page.waitForTimeout(7000);
    await page.goto("about:blank");
    await page.waitForTimeout(1500);
    const posts = proxy.requests.filter((r) => r.path === "/v1/collect");
    const streams = proxy.requests.filter((r) => r.path.includes("/stream"));
    console.log(`a visit of 2 page views (home, then a product page by a click), ~12 s: ${posts.length} POST /v1/collect (${before} before the first list was shown), ${streams.length} recommendation streams opened`);
    writeFileSync(new URL("test-results/personalize-requests.json", ROOT), JSON.stringify({ collect_posts: posts.length, streams: streams.length }, null, 2));
    expect(posts.length).toBeGreaterThan(0);
    expect(posts.length).toBeLessThanOrEqual(6);
    await context.close();
    await proxy.stop();
  });

  it("no request from the page carries a secret: no Authorization header, no key in any URL or body; no page error", async () => {
    expect(pageErrors).toEqual([]);
    expect(seen.length).toBeGreaterThan(50);
    for (const r of seen) {
      expect(r.headers.authorization, r.url).toBeUndefined();
      for (const s of SECRETS) {
        expect(r.url, r.url).not.toContain(s);
        expect(r.body ?? "", r.url).not.toContain(s);
      }
    }
    const html = await (await fetch(`${col.url}/demo`)).text();
    for (const s of SECRETS) expect(html).not.toContain(s);
    // The page read recommendations keyless, as the visitor (streams), and its panel through the demo's route.
    expect(seen.some((r) => /\/v1\/recommendations\/demo\/[^/]+\/stream/.test(r.url))).toBe(true);
    expect(seen.some((r) => r.url.includes("/demo/api/profile/"))).toBe(true);
    expect(seen.some((r) => r.url.includes("/v1/profiles/"))).toBe(false);
  });
});
