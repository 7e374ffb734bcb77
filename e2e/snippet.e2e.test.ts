/**
 * The snippet in real headless Chromium (playwright-core, e2e/support/browser.ts) against the
 * real collector (`wrangler dev`), with the demo page served by the collector itself.
 */
import { type Browser, type BrowserContext, type Page } from "playwright-core";
import { launchChromium } from "./support/browser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "../client-snippet/src/types";
import { eventually } from "../test/eventually";
import { recordingProxy, startCollector, type Collector } from "./support/collector";

declare global {
  interface Window {
    ec: Client & ((method: string, ...args: unknown[]) => unknown);
  }
}

let col: Collector;
let browser: Browser;

beforeAll(async () => {
  [col, browser] = await Promise.all([
    startCollector(),
    launchChromium(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await col?.stop();
});

async function openDemo(path = "/demo"): Promise<{ context: BrowserContext; page: Page; anon: string }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  await page.goto(col.url + path);
  await page.waitForFunction(() => typeof window.ec?.ids === "function");
  const anon = await page.evaluate(() => window.ec.ids().anonymous_id);
  expect(anon).toMatch(/^[a-z0-9]{20}$/);
  return { context, page, anon };
}

/** Every record of this visitor in the lake. */
const lake = async (anon: string) => (await col.lakeRecords("events/site=demo/")).filter((r) => r.anonymous_id === anon);

const outbox = (page: Page) =>
  page.evaluate(() => (JSON.parse(localStorage.getItem("_ec_outbox") || "[]") as { e: { id: string; type: string }[] }[]).flatMap((b) => b.e));

describe("browser snippet in Chromium", () => {
  it("is served first-party, short-cached at /snippet.js and immutable at its versioned URL", async () => {
    const r = await fetch(`${col.url}/snippet.js`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/javascript/);
    expect(r.headers.get("cache-control")).toContain("max-age=300");
    const hash = r.headers.get("etag")!.replaceAll('"', "");
    const pinned = await fetch(`${col.url}/snippet.${hash}.js`);
    expect(pinned.headers.get("cache-control")).toContain("immutable");
    expect(await pinned.text()).toBe(await r.text());
    // The demo page loads the versioned URL.
    const html = await (await fetch(`${col.url}/demo`)).text();
    expect(html).toContain(`src="/snippet.${hash}.js"`);
  });

  it("a click on a .product-thumbnail reaches the profile, with props from its data attributes", async () => {
    const { context, page, anon } = await openDemo();
    // Second thumbnail: data-product-id="sku-2" data-category="shoes" data-position="2" data-list="home".
    await page.click(".product-thumbnail >> nth=1");
    // No flush call: the 5 s timer sends the batch.
    const p = await eventually(async () => {
      const p = await col.profile("demo", anon);
      // The SPA navigation to the product page is a page view too (another envelope: its page context).
      return p && p.counts.product_click === 1 && p.counts.page_view === 2 && p;
    }, { what: "product_click in the profile", ms: 30_000, every: 250 });
    expect(p.recent_products.map((r) => r.product_id)).toContain("sku-2");
    expect(p.affinities.categories.map((a) => a.key)).toContain("shoes");
    const records = await eventually(async () => {
      const rs = await lake(anon);
      return rs.some((r) => r.type === "product_click") && rs;
    }, { what: "product_click in the lake", ms: 30_000, every: 250 });
    const click = records.find((r) => r.type === "product_click")!;
    expect(click.props).toEqual({ product_id: "sku-2", category: "shoes", position: 2, list: "home" });
    expect(click.page.path).toBe("/demo");
    await context.close();
  });

  it("calls made through the queue stub before the snippet loaded are kept", async () => {
    // The demo's product page calls ec("track", "product_view", ...) in an inline script,
    // before the async snippet has loaded.
    const { context, page, anon } = await openDemo("/demo/p/sku-5");
    await page.evaluate(() => window.ec.flush());
    const p = await eventually(async () => {
      const p = await col.profile("demo", anon);
      return p && p.counts.product_view === 1 && p.counts.page_view === 1 && p;
    }, { what: "product_view from the stub", ms: 30_000, every: 250 });
    expect(p.recent_products[0]).toMatchObject({ product_id: "sku-5", action: "view" });
    await context.close();
  });

  it("site search, form submissions (id only, never values) and custom data-track events", async () => {
    const { context, page, anon } = await openDemo();
    // data-track="promo_click" data-promo="winter-sale" data-slot="hero": not an event type, so custom.
    await page.click("a.promo");
    await page.fill("#newsletter input[name=email]", "jane.doe@example.com");
    await page.click("#newsletter button");
    // The search form is a plain GET form: a full navigation to /demo?q=boot.
    await page.fill("#search input[name=q]", "boot");
    await Promise.all([page.waitForURL(/q=boot/), page.click("#search button")]);
    await page.waitForFunction(() => typeof window.ec?.ids === "function");
    await page.evaluate(() => window.ec.flush());
    const p = await eventually(async () => {
      const p = await col.profile("demo", anon);
      return p && p.counts.search === 1 && p.counts.form_submit === 2 && p;
    }, { what: "search and form submissions in the profile", ms: 30_000, every: 250 });
    expect(p.recent_searches[0]!.query).toBe("boot");
    const rs = await eventually(async () => {
      const rs = await lake(anon);
      return rs.filter((r) => r.type === "form_submit").length === 2 && rs.some((r) => r.type === "search") && rs;
    }, { what: "forms and search in the lake", ms: 30_000, every: 250 });
    expect(rs.filter((r) => r.type === "form_submit").map((r) => r.props)).toEqual([{ form_id: "newsletter" }, { form_id: "search" }]);
    // (personalize.js adds custom recs_impression events for the recommendation rows.)
    expect(rs.find((r) => r.type === "custom" && r.props.name === "promo_click")!.props).toEqual({ name: "promo_click", properties: { promo: "winter-sale", slot: "hero" } });
    expect(rs.find((r) => r.type === "search")!.props).toEqual({ query: "boot" });
    expect(JSON.stringify(rs)).not.toContain("jane.doe");
    await context.close();
  });

  it("scrolling to the bottom sends each milestone once: 25, 50, 75, 90, 100", async () => {
    const { context, page, anon } = await openDemo();
    await page.mouse.move(400, 400);
    for (let i = 0; i < 30; i++) {
      await page.mouse.wheel(0, 250);
      await page.waitForTimeout(40);
    }
    await page.waitForFunction(() => scrollY + innerHeight >= document.documentElement.scrollHeight - 2);
    // Scrolling up and down again sends nothing more.
    await page.mouse.wheel(0, -3000);
    await page.waitForTimeout(300);
    await page.mouse.wheel(0, 5000);
    await page.waitForTimeout(400);
    const p = await eventually(async () => {
      const p = await col.profile("demo", anon);
      return p && (p.counts.scroll_depth ?? 0) >= 5 && p;
    }, { what: "scroll milestones in the profile", ms: 30_000, every: 250 });
    expect(p.engagement.max_scroll_depth).toBe(100);
    const rs = await eventually(async () => {
      const rs = await lake(anon);
      return rs.filter((r) => r.type === "scroll_depth").length >= 5 && rs;
    }, { what: "scroll milestones in the lake", ms: 30_000, every: 250 });
    const percents = rs.filter((r) => r.type === "scroll_depth").map((r) => r.props.percent as number);
    expect(percents.sort((a, b) => a - b)).toEqual([25, 50, 75, 90, 100]);
    expect(p.counts.scroll_depth).toBe(5);
    await context.close();
  });

  it("when the page hides, the queue and the engagement time go by sendBeacon", async () => {
    const proxy = await recordingProxy(col.url);
    const context = await browser.newContext();
    // No fetch on this page: whatever arrives came by sendBeacon.
    await context.addInitScript(() => {
      window.fetch = () => Promise.reject(new TypeError("fetch is disabled by the test"));
    });
    const page = await context.newPage();
    await page.goto(proxy.url + "/demo");
    await page.waitForFunction(() => typeof window.ec?.ids === "function");
    const anon = await page.evaluate(() => window.ec.ids().anonymous_id);
    await page.mouse.move(200, 200);
    // A custom event (data-track="promo_click") and the page view wait for the batch interval;
    // a product click would go within 250 ms (by fetch, refused here).
    await page.click("a.promo");
    await page.mouse.move(300, 260);
    await page.waitForTimeout(300);
    // Leaving the page: visibilitychange to hidden, then pagehide.
    await page.goto("about:blank");
    const p = await eventually(async () => {
      const p = await col.profile("demo", anon);
      return p && p.counts.custom! >= 1 && p.counts.page_view === 1 && p.counts.engagement === 1 && p;
    }, { what: "beacon delivery", ms: 30_000, every: 250 });
    // The custom events: the promo click, and the recommendation rows' impressions (personalize.js).
    const customs = await eventually(async () => {
      const rs = (await lake(anon)).filter((r) => r.type === "custom");
      return rs.some((r) => r.props.name === "promo_click") && rs;
    }, { what: "promo click in the lake", ms: 30_000, every: 250 });
    expect(customs.every((r) => r.props.name === "promo_click" || r.props.name === "recs_impression")).toBe(true);
    expect(p.engagement.visible_ms).toBeGreaterThan(0);
    expect(p.engagement.active_ms).toBeGreaterThan(0);
    expect(p.engagement.active_ms).toBeLessThanOrEqual(p.engagement.visible_ms);
    // What reached the collector: beacons (one per page context), that is POSTs
    // in no-cors mode with text/plain bodies, and no preflight.
    const posts = proxy.requests.filter((r) => r.path === "/v1/collect");
    expect(posts.length).toBeGreaterThan(0);
    expect(posts.every((r) => r.method === "POST")).toBe(true);
    for (const r of posts) {
      expect(r.headers["content-type"]).toMatch(/^text\/plain/);
      expect(r.headers["sec-fetch-mode"]).toBe("no-cors");
    }
    await context.close();
    await proxy.stop();
  });

  it("offline, reload, online: every event arrives exactly once", async () => {
    const { context, page, anon } = await openDemo();
    await page.evaluate(() => window.ec.flush());
    await eventually(async () => (await col.profile("demo", anon))?.counts.page_view === 1, { what: "first page view", ms: 30_000, every: 250 });

    // 1. Offline: clicks and an add-to-cart (sent at once, and failing) wait in the outbox.
    await context.setOffline(true);
    expect(await page.evaluate(() => navigator.onLine)).toBe(false);
    await page.click(".product-thumbnail >> nth=0");
    await page.click(".product-thumbnail >> nth=2");
    await page.click(".product-thumbnail >> nth=4");
    await page.click("button.add >> nth=1");
    await page.evaluate(() => window.ec.flush());
    const pending = await outbox(page);
    expect(pending.filter((e) => e.type === "product_click")).toHaveLength(3);
    expect(pending.filter((e) => e.type === "add_to_cart")).toHaveLength(1);

    // 2. Back online, but the collector's first answers are lost on the way back (it stored the
    //    events; the page sees a network error), and later requests fail outright.
    let lost = 0;
    await context.route("**/v1/collect", async (route) => {
      if (lost === 0) {
        try {
          const res = await route.fetch();
          if (res.status() === 202) {
            lost++;
            return await route.abort("connectionreset");
          }
        } catch {}
      }
      return route.abort("internetdisconnected");
    });
    await context.setOffline(false);
    // The retry sends one request per page context at once, so several may get through.
    await eventually(async () => lost > 0, { what: "a request reached the collector", ms: 30_000, every: 250 });

    // 3. Reload: the outbox is in localStorage and survives.
    await page.reload();
    await page.waitForFunction(() => typeof window.ec?.ids === "function");
    expect(await page.evaluate(() => window.ec.ids().anonymous_id)).toBe(anon);
    const afterReload = (await outbox(page)).map((e) => e.id);
    for (const e of pending) expect(afterReload).toContain(e.id);

    // 4. The network comes back: the online event retries at once; ids are reused, so what
    //    the collector already had comes back as duplicates.
    const answers: { accepted: number; duplicates: number }[] = [];
    page.on("response", async (r) => {
      if (r.url().endsWith("/v1/collect") && r.status() === 202) answers.push(await r.json());
    });
    await context.unroute("**/v1/collect");
    await context.setOffline(true);
    await context.setOffline(false);
    await eventually(async () => (await outbox(page)).length === 0, { what: "outbox drained", ms: 30_000, every: 250 });
    expect(answers.reduce((s, a) => s + a.duplicates, 0)).toBeGreaterThan(0);

    const p = await eventually(async () => {
      const p = await col.profile("demo", anon);
      return p && p.counts.add_to_cart === 1 && p;
    }, { what: "profile after the outbox drained", ms: 30_000, every: 250 });
    expect(p.counts.product_click).toBe(3);
    expect(p.cart.items).toEqual([expect.objectContaining({ product_id: "sku-2", quantity: 1 })]);

    // The lake: every id once, and every pending event there.
    const rs = await eventually(async () => {
      const rs = await lake(anon);
      return pending.every((e) => rs.some((r) => r.id === e.id)) && rs;
    }, { what: "all pending events in the lake", ms: 30_000, every: 250 });
    const ids = rs.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(rs.filter((r) => r.type === "product_click")).toHaveLength(3);
    expect(rs.filter((r) => r.type === "add_to_cart")).toHaveLength(1);
    await context.close();
  });
});
