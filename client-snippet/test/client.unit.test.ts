import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { envelopeSchema, eventSchema } from "../../schemas";
import { client } from "../src/client";
import type { Config } from "../src/types";
import { browserEnv, MemoryStorage } from "./browser-env";

let env: ReturnType<typeof browserEnv>;
const start = (cfg: Partial<Config> = {}) => client({ site: "demo", endpoint: "https://collector.test/v1/collect", ...cfg });
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);
const outboxIds = () => (JSON.parse(env.storage.getItem("_ec_outbox") || "[]") as { e: { id: string }[] }[]).flatMap((b) => b.e.map((e) => e.id));

beforeEach(() => {
  vi.useFakeTimers({ now: Date.parse("2026-11-26T10:00:00Z") });
  env = browserEnv();
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("batching", () => {
  it("sends 20 events in one request at the 20th, not before", async () => {
    const c = start();
    await tick();
    for (let i = 0; i < 19; i++) c.track("product_view", { product_id: `sku-${i}` });
    await tick(10);
    expect(env.fetch).not.toHaveBeenCalled();
    c.track("product_view", { product_id: "sku-19" });
    await tick();
    expect(env.fetch).toHaveBeenCalledTimes(1);
    const body = env.sent[0]!.json;
    expect(body.events).toHaveLength(20);
    expect(envelopeSchema.safeParse(body).success).toBe(true);
    for (const e of body.events) expect(eventSchema.safeParse(e).success).toBe(true);
    // No keepalive outside page hide: the batch is in the outbox until answered.
    expect(env.fetch.mock.calls[0]![1]).toMatchObject({ method: "POST" });
    expect(env.fetch.mock.calls[0]![1].keepalive).toBeFalsy();
    // A string body: text/plain, a simple request, no CORS preflight.
    expect(typeof env.fetch.mock.calls[0]![1].body).toBe("string");
  });

  it("sends what is queued 5 s after the first event", async () => {
    const c = start();
    await tick();
    c.page();
    await tick(3000);
    c.track("scroll_depth", { percent: 25 });
    await tick(1999);
    expect(env.fetch).not.toHaveBeenCalled();
    await tick(1);
    expect(env.events().map((e) => e.type)).toEqual(["page_view", "scroll_depth"]);
  });

  it("honours flushInterval and batchSize, also as strings from data attributes", async () => {
    const c = start({ flushInterval: "1000" as unknown as number, batchSize: "3" as unknown as number });
    await tick();
    c.page();
    await tick(1000);
    expect(env.sent).toHaveLength(1);
    for (let i = 0; i < 3; i++) c.track("scroll_depth", { percent: 25 });
    await tick();
    expect(env.sent).toHaveLength(2);
  });

  it("sends what recommendations follow within 250 ms, in one request per window, with what was queued before", async () => {
    const c = start();
    await tick();
    c.page();
    await tick(1000);
    // A click on a product and the product view it leads to: one request, 250 ms after the click.
    c.track("product_click", { product_id: "sku-1", position: 1, list: "home" });
    await tick(100);
    c.track("product_view", { product_id: "sku-1", category: "shoes" });
    await tick(149);
    expect(env.fetch).not.toHaveBeenCalled();
    await tick(1);
    expect(env.sent).toHaveLength(1);
    expect(env.events().map((e) => e.type)).toEqual(["page_view", "product_click", "product_view"]);
    // Each of the priority types opens such a window; other events wait for the batch interval.
    const prio = {
      product_view: { product_id: "sku-2" },
      product_click: { product_id: "sku-2" },
      search: { query: "boots" },
      add_to_cart: { product_id: "sku-2", quantity: 1 },
      remove_from_cart: { product_id: "sku-2" },
      purchase: { order_id: "o-1", revenue: 59, currency: "EUR", items: [{ product_id: "sku-1", quantity: 1 }] },
    };
    for (const [type, props] of Object.entries(prio)) {
      const n = env.sent.length;
      (c.track as (t: string, p: object) => void)(type, props);
      await tick(250);
      expect(env.sent, type).toHaveLength(n + 1);
      expect(env.sent[n]!.json.events.map((e) => e.type)).toEqual([type]);
    }
    for (const [type, props] of [["scroll_depth", { percent: 25 }], ["engagement", { active_ms: 1, visible_ms: 1 }], ["form_submit", { form_id: "f" }], ["click", { text: "x" }], ["newsletter_signup", {}]] as const) {
      (c.track as (t: string, p: object) => void)(type, props);
    }
    const n = env.sent.length;
    await tick(4999);
    expect(env.sent).toHaveLength(n);
    await tick(1);
    expect(env.sent).toHaveLength(n + 1);
    expect(env.sent[n]!.json.events.map((e) => e.type)).toEqual(["scroll_depth", "engagement", "form_submit", "click", "custom"]);
  });

  it("a priority event sends what waits for the batch interval along, and the interval starts again", async () => {
    const c = start();
    await tick();
    c.track("scroll_depth", { percent: 25 });
    await tick(1000);
    c.track("add_to_cart", { product_id: "sku-1", quantity: 1 });
    await tick(250);
    expect(env.sent).toHaveLength(1);
    expect(env.events().map((e) => e.type)).toEqual(["scroll_depth", "add_to_cart"]);
    // Nothing left for the old 5 s timer.
    await tick(10_000);
    expect(env.sent).toHaveLength(1);
  });

  it("gives events unique ids, client timestamps and the page context", async () => {
    const c = start();
    await tick();
    c.page();
    vi.setSystemTime(Date.parse("2026-11-26T10:00:01.500Z"));
    c.track("product_click", { product_id: "sku-1", position: 2 });
    await c.flush();
    const body = env.sent[0]!.json;
    const [a, b] = body.events;
    expect(a!.id).not.toBe(b!.id);
    expect(a!.ts).toBe("2026-11-26T10:00:00.000Z");
    expect(b!.ts).toBe("2026-11-26T10:00:01.500Z");
    expect(body.sent_at).toBe("2026-11-26T10:00:01.500Z");
    expect(body.context).toEqual({ page_url: "https://shop.example/p/sku-1?utm_source=news", referrer: "https://www.google.com/", title: "Blue shoe", locale: "en-GB", timezone: expect.any(String), screen: { w: 1440, h: 900 } });
    expect(a!.props).toEqual({ path: "/p/sku-1" });
  });

  it("drops props the schema does not know and sends other names as custom events", async () => {
    const c = start();
    await tick();
    (c.track as (t: string, p: object) => void)("product_click", { product_id: "sku-1", testid: "x", position: 1 });
    c.track("newsletter_signup", { plan: "pro", seats: 3, nested: { no: 1 } as unknown as string, ok: true });
    await c.flush();
    const [click, custom] = env.events();
    expect(click!.props).toEqual({ product_id: "sku-1", position: 1 });
    expect(custom).toMatchObject({ type: "custom", props: { name: "newsletter_signup", properties: { plan: "pro", seats: 3, ok: true } } });
    for (const e of env.events()) expect(eventSchema.safeParse(e).success).toBe(true);
  });
});

describe("identity, session and consent", () => {
  it("persists the anonymous id first-party and reuses it after a reload", async () => {
    const c1 = start();
    const aid = c1.ids().anonymous_id;
    expect(aid).toMatch(/^[a-z0-9]{20}$/);
    expect(env.storage.getItem("_ec_aid")).toBe(aid);
    expect(start().ids().anonymous_id).toBe(aid);
  });

  it("identify sets user_id on later envelopes, persists it, flushes at once and sends traits as custom identify", async () => {
    const c = start();
    await tick();
    c.page();
    c.identify("u-123", { plan: "pro", beta: true });
    await tick(10);
    // The page view was tracked before identify: no user_id on it, so it goes in its own envelope.
    expect(env.sent).toHaveLength(2);
    expect(env.sent[0]!.json.user_id).toBeUndefined();
    expect(env.sent[0]!.json.events.map((e) => e.type)).toEqual(["page_view"]);
    expect(env.sent[1]!.json.user_id).toBe("u-123");
    expect(env.sent[1]!.json.events[0]).toMatchObject({ type: "custom", props: { name: "identify", properties: { plan: "pro", beta: true } } });
    expect(env.storage.getItem("_ec_uid")).toBe("u-123");
    expect(start().ids().user_id).toBe("u-123");
  });

  it("reset forgets the user and starts a new anonymous id", async () => {
    const c = start();
    c.identify("u-1");
    const before = c.ids().anonymous_id;
    c.reset();
    expect(c.ids().user_id).toBeUndefined();
    expect(c.ids().anonymous_id).not.toBe(before);
    expect(start().ids()).toEqual(c.ids());
  });

  it("rolls the session over after 30 minutes without events", async () => {
    const c = start();
    await tick();
    c.page();
    await tick(5000);
    c.page();
    await tick(5000);
    await tick(31 * 60_000);
    c.page();
    await tick(5000);
    const sessions = env.sent.map((s) => s.json.session_id);
    expect(sessions[0]).toBe(sessions[1]);
    expect(sessions[2]).not.toBe(sessions[1]);
  });

  it("consent denied drops what is queued and tells the collector once; granted sends again", async () => {
    const c = start();
    await tick();
    c.page();
    c.consent("denied");
    c.track("search", { query: "x" });
    await tick(10_000);
    // Only the choice goes, in an envelope carrying it (a consent_mode "required" site purges what it holds).
    expect(env.sent).toHaveLength(1);
    expect(env.sent[0]!.json).toMatchObject({ consent: "denied", events: [{ type: "custom", props: { name: "consent", properties: { state: "denied" } } }] });
    expect(envelopeSchema.safeParse(env.sent[0]!.json).success).toBe(true);
    expect(env.storage.getItem("_ec_consent")).toBe("denied");
    // The choice is kept across page loads.
    const c2 = start();
    c2.page();
    await tick(10_000);
    expect(env.sent).toHaveLength(1);
    c2.consent("granted");
    c2.page();
    await tick(250);
    // The grant goes within 250 ms (the site releases what it held), with what was tracked since.
    expect(env.sent).toHaveLength(2);
    expect(env.sent[1]!.json).toMatchObject({ consent: "granted", events: [{ type: "custom", props: { name: "consent", properties: { state: "granted" } } }, { type: "page_view" }] });
    // Every later envelope carries the choice too.
    c2.track("scroll_depth", { percent: 50 });
    await tick(5000);
    expect(env.sent[2]!.json.consent).toBe("granted");
  });

  it("without a choice the envelope has no consent field", async () => {
    const c = start();
    c.page();
    await c.flush();
    expect(env.sent[0]!.json).not.toHaveProperty("consent");
  });

  it("starts denied with consent: 'denied' until consent('granted')", async () => {
    const c = start({ consent: "denied" });
    c.page();
    await tick(6000);
    expect(env.fetch).not.toHaveBeenCalled();
    c.consent("granted");
    c.page();
    await tick(6000);
    expect(env.sent).toHaveLength(1);
  });

  it("with respectDnt, Global Privacy Control or Do Not Track means nothing is stored or sent", async () => {
    env.nav.globalPrivacyControl = true;
    const c = start({ respectDnt: true });
    c.page();
    c.track("add_to_cart", { product_id: "sku-1", quantity: 1 });
    c.identify("u-1", { plan: "pro" });
    c.reset();
    await tick(10_000);
    expect(env.fetch).not.toHaveBeenCalled();
    expect(env.storage.length).toBe(0);
    env.nav.globalPrivacyControl = false;
    env.nav.doNotTrack = "1";
    start({ respectDnt: true }).page();
    await tick(10_000);
    expect(env.fetch).not.toHaveBeenCalled();
    // Without the option the signals are not applied.
    start().page();
    await tick(10_000);
    expect(env.fetch).toHaveBeenCalledTimes(1);
  });
});

describe("transport, outbox and retries", () => {
  it("a 4xx answer is not retried and leaves nothing in the outbox", async () => {
    env.setStatus(400);
    const c = start();
    await tick();
    c.track("add_to_cart", { product_id: "sku-1", quantity: 1 });
    // A priority event: sent within 250 ms.
    await tick(250);
    expect(env.fetch).toHaveBeenCalledTimes(1);
    expect(outboxIds()).toEqual([]);
    await tick(10 * 60_000);
    expect(env.fetch).toHaveBeenCalledTimes(1);
  });

  it("a 5xx answer keeps the events in the outbox and retries with backoff, with the same ids", async () => {
    env.setStatus(503);
    const c = start();
    await tick();
    c.track("add_to_cart", { product_id: "sku-1", quantity: 1 });
    // A priority event: sent within 250 ms.
    await tick(250);
    const id = env.sent[0]!.json.events[0]!.id;
    expect(outboxIds()).toEqual([id]);
    // First retry after 0.5-1 s, second after 1-2 s more.
    await tick(1000);
    expect(env.fetch).toHaveBeenCalledTimes(2);
    await tick(2000);
    expect(env.fetch).toHaveBeenCalledTimes(3);
    env.setStatus(202);
    await tick(4000);
    expect(env.fetch).toHaveBeenCalledTimes(4);
    expect(env.sent.map((s) => s.json.events.map((e) => e.id))).toEqual([[id], [id], [id], [id]]);
    expect(outboxIds()).toEqual([]);
    await tick(10 * 60_000);
    expect(env.fetch).toHaveBeenCalledTimes(4);
  });

  it("puts every batch in the outbox before its request starts, and takes it out on the answer", async () => {
    let during: string[] = [];
    env.fetch.mockImplementationOnce(async () => {
      during = outboxIds();
      return new Response("{}", { status: 202 });
    });
    const c = start();
    await tick();
    c.track("add_to_cart", { product_id: "sku-1", quantity: 1 });
    // A priority event: sent within 250 ms.
    await tick(250);
    expect(during).toHaveLength(1);
    expect(outboxIds()).toEqual([]);
  });

  it("429 is retried like a 5xx", async () => {
    env.setStatus(429);
    const c = start();
    await tick();
    c.track("add_to_cart", { product_id: "sku-1", quantity: 1 });
    // A priority event: sent within 250 ms.
    await tick(250);
    expect(outboxIds()).toHaveLength(1);
    env.setStatus(202);
    await tick(1000);
    expect(outboxIds()).toEqual([]);
  });

  it("network errors back off exponentially up to 5 minutes", async () => {
    env.setNetworkDown(true);
    const c = start();
    await tick();
    c.track("add_to_cart", { product_id: "sku-1", quantity: 1 });
    // A priority event: sent within 250 ms.
    await tick(250);
    const times: number[] = [];
    let calls = env.fetch.mock.calls.length;
    for (let t = 0; t < 40 * 60_000; t += 250) {
      await tick(250);
      if (env.fetch.mock.calls.length > calls) {
        calls = env.fetch.mock.calls.length;
        times.push(t);
      }
    }
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // Doubling with jitter: each gap at least half of 2^n s, never more than 5 min.
    gaps.forEach((g, i) => {
      expect(g).toBeGreaterThanOrEqual(Math.min(300_000, 1000 * 2 ** (i + 1)) / 2 - 250);
      expect(g).toBeLessThanOrEqual(300_000 + 250);
    });
    expect(gaps.length).toBeGreaterThan(6);
    expect(outboxIds()).toHaveLength(1);
  });

  it("offline: events wait in the outbox, and go at once on the online event", async () => {
    const c = start();
    await tick();
    env.goOffline();
    c.track("add_to_cart", { product_id: "sku-1", quantity: 1 });
    c.track("add_to_cart", { product_id: "sku-2", quantity: 2 });
    await tick(300);
    expect(env.sent).toHaveLength(0);
    expect(outboxIds()).toHaveLength(2);
    env.goOnline();
    await tick();
    expect(env.events().map((e) => e.props.product_id)).toEqual(["sku-1", "sku-2"]);
    expect(outboxIds()).toEqual([]);
  });

  it("the outbox survives a reload and the next page sends it first, with the same ids", async () => {
    const c = start();
    await tick();
    env.goOffline();
    c.track("product_click", { product_id: "sku-1" });
    c.track("product_click", { product_id: "sku-2" });
    env.pagehide();
    await tick();
    const ids = outboxIds();
    expect(ids).toHaveLength(2);
    expect(env.nav.sendBeacon).not.toHaveBeenCalled();
    // Reload: the page and its timers are gone; same storage, new page.
    vi.clearAllTimers();
    vi.unstubAllGlobals();
    env = browserEnv({ storage: env.storage as MemoryStorage });
    start();
    await tick();
    expect(env.sent.flatMap((s) => s.json.events.map((e) => e.id))).toEqual(ids);
    expect(outboxIds()).toEqual([]);
  });

  it("when the page hides, queued events go by sendBeacon with a string body", async () => {
    const c = start();
    await tick();
    c.page();
    c.track("scroll_depth", { percent: 50 });
    env.hide();
    expect(env.nav.sendBeacon).toHaveBeenCalledTimes(1);
    const [url, body] = env.nav.sendBeacon.mock.calls[0]!;
    expect(url).toBe("https://collector.test/v1/collect");
    expect(typeof body).toBe("string");
    expect(env.sent[0]!.json.events.map((e) => e.type)).toEqual(["page_view", "scroll_depth"]);
    await tick(10_000);
    expect(env.fetch).not.toHaveBeenCalled();
    expect(outboxIds()).toEqual([]);
    // pagehide after visibilitychange has nothing left to send.
    env.pagehide();
    expect(env.nav.sendBeacon).toHaveBeenCalledTimes(1);
  });

  it("beacons are cut under the 64 KiB budget", async () => {
    const c = start({ batchSize: 100 });
    await tick();
    for (let i = 0; i < 30; i++) c.track("note", { text: "x".repeat(3000), i });
    env.hide();
    const bodies = env.nav.sendBeacon.mock.calls.map(([, b]) => b as string);
    expect(bodies).toHaveLength(2);
    for (const b of bodies) expect(new Blob([b]).size).toBeLessThanOrEqual(60_000);
    expect(env.events().map((e) => e.props.properties)).toEqual(Array.from({ length: 30 }, (_, i) => ({ text: "x".repeat(3000), i })));
    expect(env.fetch).not.toHaveBeenCalled();
  });

  it("falls back to fetch keepalive when sendBeacon refuses, keeping the batch in the outbox until it is answered", async () => {
    env.setBeaconOk(false);
    const c = start();
    await tick();
    c.page();
    env.pagehide();
    expect(env.nav.sendBeacon).toHaveBeenCalledTimes(1);
    expect(env.fetch).toHaveBeenCalledTimes(1);
    expect(env.fetch.mock.calls[0]![1]).toMatchObject({ keepalive: true });
    await tick();
    expect(outboxIds()).toEqual([]);
  });

  it("never throws into the page", async () => {
    const c = start();
    const cyclic: Record<string, unknown> = { product_id: "sku-1" };
    cyclic.self = cyclic;
    expect(() => c.track("custom", { name: "x", properties: cyclic as never })).not.toThrow();
    expect(() => (c.track as (t: string, p: unknown) => void)("product_view", null)).not.toThrow();
    expect(() => (c.track as (t: string) => void)("toString")).not.toThrow();
    env.storage.broken = true;
    expect(() => c.page()).not.toThrow();
    await expect(c.flush()).resolves.toBeUndefined();
  });
});
