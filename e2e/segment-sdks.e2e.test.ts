/**
 * The real Segment and RudderStack Node clients, pointed at a locally started collector,
 * deliver events that show up in profiles and in the lake with the collector's types.
 */
import { Analytics as Segment } from "@segment/analytics-node";
import RudderAnalytics from "@rudderstack/rudder-sdk-node";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../test/eventually";
import { BROWSER_KEY, SERVER_KEY, startCollector, type Collector } from "./support/collector";

let collector: Collector;
beforeAll(async () => {
  collector = await startCollector();
});
afterAll(async () => collector?.stop());

const day = () => new Date().toISOString().slice(0, 10);
async function lakeRecords(ids: readonly string[]): Promise<Map<string, any>> {
  const want = new Set(ids);
  return eventually(async () => {
    const found = new Map<string, any>();
    for (const o of await collector.lakeList(`events/site=demo/dt=${day()}/`)) {
      for (const line of (await collector.lakeText(o.key)).split("\n")) {
        if (!line) continue;
        const r = JSON.parse(line);
        if (want.has(r.id)) {
          expect(found.has(r.id), `${r.id} is in the lake twice`).toBe(false);
          found.set(r.id, r);
        }
      }
    }
    return found.size === want.size ? found : null;
  }, { what: `${ids.length} messages in the lake`, ms: 30_000, every: 200 });
}

/** Segment's client with its HTTP traffic recorded: statuses, and how often it tried. */
function segmentClient(writeKey: string) {
  const client = new Segment({ writeKey, host: collector.url, flushAt: 50, flushInterval: 200, maxRetries: 3 });
  const statuses: number[] = [];
  const errors: unknown[] = [];
  client.on("http_response", (r) => statuses.push(r.status));
  client.on("error", (e) => errors.push(e));
  return { client, statuses, errors };
}

describe("@segment/analytics-node", () => {
  it("delivers track (e-commerce spec and custom), page, screen, identify, group and alias with a server key", async () => {
    const { client, statuses, errors } = segmentClient(SERVER_KEY);
    const userId = `seg-user-${randomUUID()}`;
    const anonymousId = `seg-anon-${randomUUID()}`;
    const ids: string[] = [];
    const sent = (type: string) => (err: unknown, ctx: any) => {
      if (err) errors.push(err);
      if (ctx?.event?.messageId) ids.push(ctx.event.messageId);
      else errors.push(new Error(`no messageId for ${type}`));
    };
    const historical = new Date(Date.now() - 3 * 86_400_000);
    client.identify({ userId, anonymousId, traits: { plan: "pro", address: { city: "Paris" } } }, sent("identify"));
    client.page({ userId, anonymousId, name: "Shoe", properties: { url: "https://shop.example/p/sku-1?utm_source=news", title: "Blue shoe", path: "/p/sku-1" } }, sent("page"));
    client.track({ userId, anonymousId, event: "Product Viewed", properties: { product_id: "sku-1", category: "shoes", brand: "Acme", price: 59.9, currency: "EUR" } }, sent("view"));
    client.track({ userId, anonymousId, event: "Product Clicked", properties: { product_id: "sku-2", category: "shoes", position: 3 } }, sent("click"));
    client.track({ userId, anonymousId, event: "Product Added", properties: { product_id: "sku-1", quantity: 2, price: 59.9, currency: "EUR" } }, sent("add"));
    client.track({ userId, anonymousId, event: "Product Removed", properties: { product_id: "sku-1", quantity: 1 } }, sent("remove"));
    client.track({ userId, anonymousId, event: "Products Searched", properties: { query: "blue shoes" } }, sent("search"));
    client.track({ userId, anonymousId, event: "Order Completed", timestamp: historical, properties: { order_id: "o-1", revenue: 59.9, currency: "EUR", products: [{ product_id: "sku-1", quantity: 1, price: 59.9 }] } }, sent("order"));
    client.track({ userId, anonymousId, event: "Newsletter Subscribed", properties: { list: "weekly", double_opt_in: true } }, sent("custom"));
    client.screen({ userId, anonymousId, name: "Home" }, sent("screen"));
    client.group({ userId, anonymousId, groupId: "acme", traits: { employees: 40 } }, sent("group"));
    client.alias({ userId, previousId: anonymousId }, sent("alias"));
    await client.closeAndFlush({ timeout: 20_000 });

    expect(errors).toEqual([]);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(ids).toHaveLength(12);

    const profile = (await collector.profile("demo", userId))!;
    expect(profile).toMatchObject({ user_id: userId, counts: { page_view: 1, product_view: 1, product_click: 1, add_to_cart: 1, remove_from_cart: 1, search: 1, purchase: 1, custom: 5 } });
    expect(profile.anonymous_ids).toContain(anonymousId);
    expect(profile.purchases.count).toBe(1);

    const lake = await lakeRecords(ids);
    const byType = (t: string) => [...lake.values()].filter((r) => r.type === t);
    expect(byType("product_view")[0]).toMatchObject({ user_id: userId, anonymous_id: anonymousId, props: { product_id: "sku-1", category: "shoes", brand: "Acme", price: 59.9, currency: "EUR" } });
    expect(byType("purchase")[0]).toMatchObject({ props: { order_id: "o-1", revenue: 59.9, currency: "EUR", items: [{ product_id: "sku-1", quantity: 1, price: 59.9 }] }, ts: historical.toISOString() });
    expect(byType("page_view")[0]).toMatchObject({ props: { url: "https://shop.example/p/sku-1?utm_source=news" }, page: { path: "/p/sku-1", utm: { source: "news" } } });
    expect(byType("custom").map((r) => r.props.name).sort()).toEqual(["Newsletter Subscribed", "alias", "group", "identify", "screen"]);
    expect(byType("custom").find((r) => r.props.name === "identify").props.properties).toEqual({ plan: "pro", "address.city": "Paris" });
    for (const r of lake.values()) expect(r.bot, r.type).toBe(false);
  });

  it("gets 401 for an unknown key and does not retry it", async () => {
    const { client, statuses, errors } = segmentClient("not-a-real-key");
    client.track({ anonymousId: "a", event: "X" });
    await client.closeAndFlush({ timeout: 10_000 });
    expect(statuses).toEqual([401]);
    expect(errors.length).toBeGreaterThan(0);
  });

  it("gets 403 with the browser key from a server (no Origin), and does not retry it", async () => {
    const { client, statuses } = segmentClient(BROWSER_KEY);
    client.track({ anonymousId: "a", event: "X" });
    await client.closeAndFlush({ timeout: 10_000 });
    expect(statuses).toEqual([403]);
  });
});

/** Its client keeps a given messageId (its types do not declare the field). */
const withId = <T extends object>(messageId: string | undefined, m: T): T => ({ messageId, ...m }) as T;

describe("@rudderstack/rudder-sdk-node", () => {
  function rudder(writeKey: string) {
    const errors: unknown[] = [];
    const client = new RudderAnalytics(writeKey, { dataPlaneUrl: collector.url, flushAt: 50, flushInterval: 200, retryCount: 2, logLevel: "error", errorHandler: (e: unknown) => errors.push(e) });
    return { client, errors };
  }

  it("delivers gzip batches (its default) whose events reach the profile and the lake", async () => {
    const { client, errors } = rudder(SERVER_KEY);
    const anonymousId = `rs-anon-${randomUUID()}`;
    const userId = `rs-user-${randomUUID()}`;
    const ids = Array.from({ length: 5 }, () => randomUUID());
    client.track(withId(ids[0], { anonymousId, event: "Product Viewed", properties: { product_id: "sku-7", price: 12, currency: "usd" } }));
    client.track(withId(ids[1], { anonymousId, event: "Product Added", properties: { product_id: "sku-7" } }));
    client.page(withId(ids[2], { anonymousId, name: "Home", properties: { url: "https://shop.example/", path: "/" } }));
    client.identify(withId(ids[3], { anonymousId, userId, traits: { tier: "gold" } }));
    client.track(withId(ids[4], { anonymousId, userId, event: "Products Searched", properties: { query: "socks" } }));
    await client.flush();
    expect(errors).toEqual([]);

    const anonProfile = (await collector.profile("demo", anonymousId))!;
    expect(anonProfile.counts).toMatchObject({ product_view: 1, add_to_cart: 1, page_view: 1 });
    expect(anonProfile.cart.items).toEqual(expect.arrayContaining([expect.objectContaining({ product_id: "sku-7", quantity: 1 })]));
    const userProfile = (await collector.profile("demo", userId))!;
    expect(userProfile.counts).toMatchObject({ custom: 1, search: 1 });

    const lake = await lakeRecords(ids);
    expect(lake.get(ids[0]!)).toMatchObject({ type: "product_view", props: { product_id: "sku-7", price: 12, currency: "USD" }, anonymous_id: anonymousId, user_id: null });
    expect(lake.get(ids[1]!)).toMatchObject({ type: "add_to_cart", props: { product_id: "sku-7", quantity: 1 } });
    expect(lake.get(ids[3]!)).toMatchObject({ type: "custom", props: { name: "identify", properties: { tier: "gold" } }, user_id: userId });
    expect(lake.get(ids[4]!)).toMatchObject({ type: "search", props: { query: "socks" } });
  });

  it("re-sending the same messages is absorbed by dedup", async () => {
    const { client, errors } = rudder(SERVER_KEY);
    const anonymousId = `rs-anon-${randomUUID()}`;
    const messageId = randomUUID();
    for (let i = 0; i < 3; i++) {
      client.track(withId(messageId, { anonymousId, event: "Signed Up", properties: { plan: "pro" } }));
      await client.flush();
    }
    expect(errors).toEqual([]);
    expect((await collector.profile("demo", anonymousId))!.counts.custom).toBe(1);
    expect((await lakeRecords([messageId])).size).toBe(1);
  });

  it("is refused with an unknown key, without retries", async () => {
    const { client, errors } = rudder("unknown-key-123");
    client.track({ anonymousId: "a", event: "X" });
    await client.flush().catch(() => {});
    expect(errors).toHaveLength(1);
    expect((errors[0] as any).response.status).toBe(401);
  });
});
