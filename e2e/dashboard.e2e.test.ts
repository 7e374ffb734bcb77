/**
 * The operations dashboard in real headless Chromium (playwright-core, e2e/support/browser.ts),
 * against a collector on 127.0.0.1 after a scripted burst of known traffic: the page must show
 * the counts that were sent, refused and deduplicated, and /v1/admin/stats must agree.
 * The screenshot is kept in test-results/dashboard.png.
 */
import { mkdir } from "node:fs/promises";
import type { Browser } from "playwright-core";
import { launchChromium } from "./support/browser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { burst } from "../scripts/burst";
import { ADMIN_TOKEN, startCollector, type Collector } from "./support/collector";


let collector: Collector;
let browser: Browser;
beforeAll(async () => {
  collector = await startCollector();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await collector?.stop();
});

const fmt = (n: number) => n.toLocaleString("en-US");

describe("operations dashboard", () => {
  it("shows the counts of a known burst, charts, queue health and a live tail", async () => {
    const result = await burst(collector.url, { token: ADMIN_TOKEN, site: "demo", users: 24 });
    expect(result.observed).toEqual(result.expected);
    expect(result.ok).toBe(true);
    const exp = result.expected;
    expect(exp.accepted_total).toBeGreaterThanOrEqual(80);
    expect(exp.duplicates).toBeGreaterThan(10);

    const page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
    const urls: string[] = [];
    page.on("request", (r) => urls.push(r.url()));
    await page.goto(`${collector.url}/admin?refresh=1000`);
    // Asks for the token first; nothing is shown without it.
    await page.waitForSelector("#login:not([hidden])");
    await page.fill("#token", "wrong-token");
    await page.click("#login button");
    await page.waitForFunction(() => document.getElementById("login-error")!.textContent!.includes("refused"));
    await page.fill("#token", ADMIN_TOKEN);
    await page.click("#login button");
    await page.waitForSelector("#app:not([hidden])");

    const text = (sel: string) => page.locator(sel).textContent();
    await page.waitForFunction((n) => document.getElementById("m-accepted")!.textContent === n, fmt(exp.accepted_total));
    expect(await text("#m-accepted")).toBe(fmt(exp.accepted_total));
    expect(await text("#m-duplicates")).toBe(fmt(exp.duplicates));
    expect(await text("#m-rejected")).toBe(fmt(exp.rejected_total));
    expect(await text("#m-requests")).toBe(fmt(exp.requests));
    expect(await text("#m-lake-events")).toBe(fmt(exp.accepted_total));
    expect(await text("#m-deadletter")).toBe("0");
    for (const [type, n] of Object.entries(exp.accepted)) expect(await text(`#t-accepted tr[data-accepted="${type}"] td.n`)).toBe(fmt(n));
    for (const [reason, n] of Object.entries(exp.rejected)) expect(await text(`#t-rejected tr[data-rejected="${reason}"] td.n`)).toBe(fmt(n));
    expect(await text("#m-ingest")).toMatch(/^\d+ ms \/ \d+ ms$/);
    expect(await text("#m-lake")).toMatch(/\d+(\.\d)? (ms|s) \/ \d+(\.\d)? (ms|s)$/);
    expect(await text("#queue-health")).toBe("ok");
    // Charts drew bars for each accepted type and each reason.
    expect(await page.locator("#c-accepted svg rect").count()).toBeGreaterThanOrEqual(Object.keys(exp.accepted).length);
    expect(await page.locator("#c-rejected svg rect").count()).toBeGreaterThanOrEqual(Object.keys(exp.rejected).length);
    expect(await page.locator("#c-lag svg polyline, #c-lag svg circle").count()).toBeGreaterThanOrEqual(2);
    // The live tail lists stored events.
    await page.waitForFunction(() => document.querySelectorAll("#tail tbody tr[data-id]").length >= 10);
    expect(await text("#tail-state")).toContain("live");

    await mkdir("test-results", { recursive: true });
    await page.screenshot({ path: "test-results/dashboard.png", fullPage: true });

    // The token stays in this tab: sessionStorage, never in a URL, never in localStorage or a cookie.
    expect(await page.evaluate(() => sessionStorage.getItem("collector-admin-token"))).toBe(ADMIN_TOKEN);
    expect(await page.evaluate(() => localStorage.length + document.cookie.length)).toBe(0);
    expect(urls.some((u) => u.includes(ADMIN_TOKEN))).toBe(false);
    const other = await browser.newPage();
    await other.goto(`${collector.url}/admin`);
    await other.waitForSelector("#login:not([hidden])");
    await other.close();

    // New traffic appears in the live tail without a reload.
    const id = `live-${Date.now()}`;
    const res = await fetch(`${collector.url}/v1/collect`, { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify({ site: "demo", anonymous_id: "live-user", sent_at: new Date().toISOString(), events: [{ id, type: "search", ts: new Date().toISOString(), props: { query: "live" } }] }) });
    expect(res.status).toBe(202);
    await page.waitForSelector(`#tail tr[data-id="${id}"]`, { timeout: 20_000 });
    await page.close();
  });
});
