/**
 * Recommendations on the page, in real headless Chromium against the real collector: the demo
 * shop (snippet + /personalize.js, no key in the page) fills its rows from the site's template,
 * keeps them live over the stream, follows a sign-in, reports impressions and clicks, and a
 * click on a product changes the "recommended for you" row within the latency goal (median
 * <= 500 ms, p90 <= 1 s over 20 clicks). No request of the page carries a secret. The screenshot
 * is kept in test-results/ and docs/demo-recommendations.png (the README shows it).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MISSIONS } from "../worker/demo/shop";
import { recordingProxy } from "./collector";
import { launchChromium } from "./support/browser";
import { admin, ADMIN_TOKEN, eventually, SERVER_KEY, startCollector, type Collector } from "./support/collector";

const READ_KEY = "dev-read-key";
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

interface LakeRecord {
  type: string;
  anonymous_id: string;
  props: Record<string, unknown> & { name?: string; properties?: Record<string, unknown> };
}

/** The lake's records of this anonymous id, once `ready` says they are all there. */
function lakeRecords(anon: string, ready: (rs: LakeRecord[]) => boolean): Promise<LakeRecord[]> {
  const a = admin(col);
  return eventually(async () => {
    const rs: LakeRecord[] = [];
    for (const { key } of await a.lakeList("events/site=demo/")) {
      for (const line of (await a.lakeText(key)).split("\n")) if (line) rs.push(JSON.parse(line) as LakeRecord);
    }
    const mine = rs.filter((r) => r.anonymous_id === anon);
    return ready(mine) && mine;
  }, 60_000, 500);
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
  await page.goto(base + path);
  await page.waitForFunction(() => typeof (window as any).ec?.recommend === "function");
  // The first list: trending from the demo's simulated shoppers (their statistics take a few seconds on a fresh collector).
  await page.waitForFunction(() => Number(document.querySelector("#for-you")?.getAttribute("data-ec-count")) > 0, undefined, { timeout: 60_000 });
  return { context, page };
}

/** In the page: each click on a product (grid or row) and the first change of the for-you row after it. */
function installLatencyProbe(page: Page) {
  return page.evaluate(() => {
    const w = window as any;
    const row = document.querySelector("#for-you")!;
    const ids = () => Array.from(row.querySelectorAll(".rec"), (e) => e.getAttribute("data-product-id")).join(" ");
    w.__lat = { delays: [] as number[], t0: 0, before: "" };
    document.addEventListener(
      "click",
      (e) => {
        if ((e.target as Element).closest(".product-thumbnail, a.rec")) Object.assign(w.__lat, { t0: performance.now(), before: ids() });
      },
      true,
    );
    new MutationObserver(() => {
      const l = w.__lat;
      if (l.t0 && ids() !== l.before) (l.delays.push(performance.now() - l.t0), (l.t0 = 0));
    }).observe(row, { childList: true });
  });
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * p) - 1)]!;

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
    await context.close();
  });

  it("a click on a product changes the 'recommended for you' row: median <= 500 ms, p90 <= 1 s over 20 clicks", async () => {
    const { context, page } = await openDemo();
    await installLatencyProbe(page);
    // Products of another mission each time, so the newest product (the strongest seed) moves the list.
    const order = Array.from({ length: 20 }, (_, i) => MISSIONS[i % MISSIONS.length]![Math.floor(i / MISSIONS.length) % 5]!);
    const delays: number[] = [];
    for (const id of order) {
      const n = await page.evaluate(() => (window as any).__lat.delays.length as number);
      await page.click(`.product-thumbnail[data-product-id="${id}"]`);
      try {
        await page.waitForFunction((k) => (window as any).__lat.delays.length > k, n, { timeout: 5000 });
        delays.push(await page.evaluate(() => (window as any).__lat.delays.at(-1) as number));
      } catch {
        delays.push(Infinity); // no change within 5 s: counts as a miss
        await page.evaluate(() => ((window as any).__lat.t0 = 0));
      }
      await page.waitForTimeout(400);
    }
    const fmt = (x: number) => (Number.isFinite(x) ? `${Math.round(x)} ms` : "no change");
    const summary = `click -> recommended row changed, 20 clicks: median ${fmt(pct(delays, 0.5))}, p90 ${fmt(pct(delays, 0.9))}, max ${fmt(Math.max(...delays))}, min ${fmt(Math.min(...delays))}`;
    console.log(summary);
    mkdirSync(new URL("test-results/", ROOT), { recursive: true });
    writeFileSync(new URL("test-results/personalize-latency.json", ROOT), JSON.stringify({ summary, delays_ms: delays.map((d) => (Number.isFinite(d) ? Math.round(d) : null)) }, null, 2));
    expect(pct(delays, 0.5)).toBeLessThanOrEqual(500);
    expect(pct(delays, 0.9)).toBeLessThanOrEqual(1000);
    expect(await page.getAttribute("#for-you", "data-ec-strategy")).toBe("personalized");

    // The screenshot for the README: a product page with both rows.
    await page.click('.product-thumbnail[data-product-id="sku-14"]');
    await page.waitForFunction(() => Number(document.querySelector("#together")?.getAttribute("data-ec-count")) > 0);
    await page.waitForTimeout(800);
    const png = await page.screenshot({ fullPage: false });
    writeFileSync(new URL("test-results/demo-recommendations.png", ROOT), png);
    writeFileSync(new URL("docs/demo-recommendations.png", ROOT), png);
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
    await installLatencyProbe(page);
    await page.click("#signin");
    // The merge happens with the next events; clicks then go to the user's object.
    const changes: number[] = [];
    for (const id of ["sku-19", "sku-2", "sku-6"]) {
      const n = await page.evaluate(() => (window as any).__lat.delays.length as number);
      await page.click(`.product-thumbnail[data-product-id="${id}"]`);
      await page.waitForFunction((k) => (window as any).__lat.delays.length > k, n, { timeout: 10_000 });
      changes.push(await page.evaluate(() => (window as any).__lat.delays.at(-1) as number));
      await page.waitForTimeout(400);
    }
    console.log(`after sign-in, click -> row changed: ${changes.map(Math.round).join(", ")} ms`);
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

  it("no request from the page carries a secret: no Authorization header, no key in any URL or body", async () => {
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
