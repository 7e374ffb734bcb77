/** The Segment-compatible API against the real worker, Durable Objects, queue and R2 in workerd. */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { eventually } from "./eventually";
import { CHROME, get, uid } from "./helpers";

const SERVER = "test-server-key";
const BROWSER = "demo-browser-key";
const basic = (key: string) => `Basic ${btoa(`${key}:`)}`;
const json = async (r: Response) => (await r.json()) as any;

async function send(path: string, body: unknown, o: { key?: string | null; origin?: string; gzip?: boolean; headers?: Record<string, string>; raw?: string | Uint8Array } = {}) {
  const headers: Record<string, string> = { "content-type": "application/json", "user-agent": CHROME, ...o.headers };
  if (o.key !== null) headers.authorization = basic(o.key ?? SERVER);
  if (o.origin) headers.origin = o.origin;
  let payload: BodyInit = o.raw ?? JSON.stringify(body);
  if (o.gzip) {
    headers["content-encoding"] = "gzip";
    payload = new Uint8Array(await new Response(new Blob([payload as string]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer());
  }
  return exports.default.fetch(new Request(`https://collector.test${path}`, { method: "POST", headers, body: payload }));
}

const track = (over: Record<string, unknown> = {}) => ({ type: "track", messageId: uid("m"), anonymousId: uid("anon"), event: "Signed Up", properties: { plan: "pro" }, timestamp: new Date().toISOString(), ...over });
const profile = async (id: string) => json(await get(`/v1/profiles/demo/${encodeURIComponent(id)}`));

describe("Segment-compatible API: keys", () => {
  it("answers 401 without a key, with an unknown key, and with a malformed Authorization", async () => {
    for (const [o, msg] of [[{ key: null }, "no write key"], [{ key: "not-a-key-at-all" }, "unknown write key"], [{ key: null, headers: { authorization: "Bearer x" } }, "HTTP Basic"]] as const) {
      const res = await send("/v1/track", track(), o);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain("Basic");
      const b = await json(res);
      expect(b).toMatchObject({ success: false, details: [{ path: "authorization" }] });
      expect(b.error).toContain(msg);
    }
  });

  it("takes the key from the body's writeKey when there is no Authorization (Segment's alternative)", async () => {
    const res = await send("/v1/batch", { writeKey: SERVER, batch: [track()] }, { key: null });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ success: true, accepted: 1 });
  });

  it("accepts every server key of a site (rotation)", async () => {
    expect((await send("/v1/track", track(), { key: "test-server-key-2" })).status).toBe(200);
  });

  it("binds the browser key to its site's origins", async () => {
    const none = await send("/v1/track", track(), { key: BROWSER });
    expect(none.status).toBe(403);
    expect((await json(none)).details[0].path).toBe("origin");
    const wrong = await send("/v1/track", track(), { key: BROWSER, origin: "https://evil.example" });
    expect(wrong.status).toBe(403);
    expect(wrong.headers.get("access-control-allow-origin")).toBeNull();
    // Another site's origin is not this site's.
    expect((await send("/v1/track", track(), { key: BROWSER, origin: "https://shop.example" })).status).toBe(403);
    const ok = await send("/v1/track", track(), { key: BROWSER, origin: "http://localhost:3000" });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    expect((await send("/v1/track", track(), { key: "shop-browser-key", origin: "https://www.shop.example" })).status).toBe(200);
  });

  it("answers the browser's preflight for allowed origins only", async () => {
    const pre = (origin: string) => exports.default.fetch(new Request("https://collector.test/v1/batch", { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" } }));
    const ok = await pre("http://localhost:5173");
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-headers")!.toLowerCase()).toContain("authorization");
    expect((await pre("https://evil.example")).status).toBe(403);
  });

  it("lets a browser key send identify, alias and group too; its user id follows the site's identity policy", async () => {
    const origin = "http://localhost:3000";
    const anon = uid("anon");
    const user = uid("u");
    for (const type of ["identify", "alias", "group"]) {
      const res = await send(`/v1/${type}`, { anonymousId: anon, userId: user, previousId: anon, groupId: "g-1", traits: { plan: "pro" } }, { key: BROWSER, origin });
      expect(res.status, type).toBe(200);
      expect(await json(res), type).toMatchObject({ accepted: 1, rejected: [] });
    }
    // demo does not require signatures: the id is asserted, and the anonymous activity is the user's.
    const p = await profile(user);
    expect(p).toMatchObject({ user_id: user, identity: "asserted", counts: { custom: 3 } });
    expect(p.anonymous_ids).toContain(anon);
  });

  it("keeps a server key's historical timestamp, skew-corrects a browser key's and refuses its backdating", async () => {
    const now = Date.now();
    const old = new Date(now - 30 * 86_400_000).toISOString();
    const sentAt = new Date(now).toISOString();
    const sAnon = uid("anon");
    const res = await send("/v1/batch", { sentAt, batch: [track({ anonymousId: sAnon, event: "Order Shipped", timestamp: old })] });
    expect(await json(res)).toMatchObject({ accepted: 1 });
    const sp = await profile(sAnon);
    expect(sp.first_seen).toBe(old);

    // Browser: its clock is 1 h ahead; the event happened 2 s before it was sent.
    const bAnon = uid("anon");
    const skewedSent = new Date(now + 3_600_000);
    const skewedTs = new Date(skewedSent.getTime() - 2000).toISOString();
    const b = await send("/v1/batch", { sentAt: skewedSent.toISOString(), batch: [track({ anonymousId: bAnon, timestamp: skewedTs })] }, { key: BROWSER, origin: "http://localhost:1" });
    expect(await json(b)).toMatchObject({ accepted: 1 });
    const bp = await profile(bAnon);
    const corrected = Date.parse(bp.first_seen);
    expect(corrected).toBeLessThanOrEqual(Date.now() - 2000 + 50);
    expect(corrected).toBeGreaterThan(now - 10_000);

    const back = await send("/v1/track", track({ timestamp: old, sentAt }), { key: BROWSER, origin: "http://localhost:1" });
    expect(back.status).toBe(400);
    expect((await json(back)).details).toEqual([{ path: "timestamp", message: expect.stringContaining("server key") }]);
  });
});

describe("Segment-compatible API: messages", () => {
  it("takes a backend's messages without a session id out of session; a session id, or the browser key, makes them a visit", async () => {
    const sessions = async (id: string) => (await profile(id)).sessions as { count: number; current: { id: string } | null };
    const timers = (id: string) => env.PROFILES.get(env.PROFILES.idFromName(`demo:${id}`)).bufferState().then((s) => s.timers);
    const backend = uid("cust");
    expect((await send("/v1/batch", { batch: [track({ anonymousId: undefined, userId: backend, event: "Order Completed" }), track({ anonymousId: undefined, userId: backend })] })).status).toBe(200);
    expect(await sessions(backend)).toMatchObject({ count: 0, current: null });
    expect(await timers(backend)).not.toHaveProperty("session_end");
    // The same backend forwarding a visitor's session id: that session.
    expect((await send("/v1/track", track({ anonymousId: undefined, userId: backend, context: { sessionId: "sess-42" } }))).status).toBe(200);
    expect(await sessions(backend)).toMatchObject({ count: 1, current: { id: "sess-42" } });
    // analytics.js in a browser (browser key) sends no session id either: a visit, as before.
    const visitor = uid("anon");
    expect((await send("/v1/track", track({ anonymousId: visitor }), { key: BROWSER, origin: "http://localhost:3000" })).status).toBe(200);
    expect((await sessions(visitor)).count).toBe(1);
    expect(await timers(visitor)).toHaveProperty("session_end");
  });

  it("maps the e-commerce spec to the collector's types and updates the profile", async () => {
    const userId = uid("user");
    const anonymousId = uid("anon");
    const base = { userId, anonymousId };
    const batch = [
      { ...base, type: "page", name: "Shoe", properties: { url: "https://shop.example/p/sku-1?utm_source=news", title: "Blue shoe", path: "/p/sku-1" } },
      { ...base, type: "track", event: "Product Viewed", properties: { product_id: "sku-1", category: "shoes", brand: "Acme", price: 59.9, currency: "eur", name: "Blue shoe" } },
      { ...base, type: "track", event: "Product Clicked", properties: { product_id: 42, category: "shoes", position: 3 } },
      { ...base, type: "track", event: "Product Added", properties: { sku: "sku-1", price: "59.90", currency: "EUR" } },
      { ...base, type: "track", event: "Product Removed", properties: { product_id: "sku-1", quantity: 1 } },
      { ...base, type: "track", event: "Products Searched", properties: { query: "blue shoes" } },
      { ...base, type: "track", event: "Order Completed", properties: { order_id: "o-1", total: 59.9, currency: "EUR", products: [{ product_id: "sku-1", quantity: 1, price: 59.9 }] } },
      { ...base, type: "track", event: "Wishlist Added", properties: { product: { id: "sku-2", tags: ["a", "b"] }, gift: true } },
      { ...base, type: "screen", name: "Home" },
    ].map((m, i) => ({ ...m, messageId: uid(`m${i}`), timestamp: new Date(Date.now() - (10 - i) * 1000).toISOString() }));
    const res = await send("/v1/batch", { batch, sentAt: new Date().toISOString() });
    expect(res.status).toBe(200);
    const b = await json(res);
    expect(b).toMatchObject({ success: true, accepted: 9, duplicates: 0, rejected: [] });
    expect(b.ignored).toEqual(expect.arrayContaining([{ index: 0, messageId: batch[0]!.messageId, fields: ["name"] }, { index: 1, messageId: batch[1]!.messageId, fields: ["properties.name"] }]));

    const p = await profile(userId);
    expect(p.user_id).toBe(userId);
    expect(p.anonymous_ids).toContain(anonymousId);
    expect(p.counts).toMatchObject({ page_view: 1, product_view: 1, product_click: 1, add_to_cart: 1, remove_from_cart: 1, search: 1, purchase: 1, custom: 2 });
    expect(p.purchases).toMatchObject({ count: 1 });
    expect(p.recent_searches[0]).toMatchObject({ query: "blue shoes" });
    expect(p.recent_products.map((x: any) => x.product_id ?? x.id ?? x)).toEqual(expect.arrayContaining(["sku-1", "42"]));

    // Posting the same batch again: every messageId is a duplicate.
    const again = await json(await send("/v1/batch", { batch, sentAt: new Date().toISOString() }));
    expect(again).toMatchObject({ accepted: 0, duplicates: 9 });
  });

  it("reports rejected messages by index, messageId and the sender's field path, and stores the rest", async () => {
    const good = track();
    const res = await send("/v1/batch", {
      batch: [
        good,
        track({ type: "track", event: "Product Viewed", properties: { category: "shoes" } }),
        track({ event: "Order Completed", properties: { order_id: "o", total: 1, products: [{ sku: "", quantity: 1 }] } }),
        { type: "track", event: "x", messageId: "no-one" },
        { type: "nope", anonymousId: "a" },
        track({ timestamp: "yesterday" }),
      ],
      extra: 1,
    });
    expect(res.status).toBe(200);
    const b = await json(res);
    expect(b.accepted).toBe(1);
    expect(b.rejected.map((r: any) => [r.index, r.errors.map((e: any) => e.path)])).toEqual([
      [1, ["properties.product_id"]],
      [2, ["properties.products[0].sku"]],
      [3, ["userId"]],
      [4, ["type"]],
      [5, ["timestamp"]],
    ]);
    expect(b.rejected[2].messageId).toBe("no-one");
    expect(b.ignored).toContainEqual({ index: null, fields: ["extra"] });
  });

  it("answers 400 when no message is usable, naming each field", async () => {
    const res = await send("/v1/batch", { batch: [{ type: "track", anonymousId: "a" }] });
    expect(res.status).toBe(400);
    expect(await json(res)).toMatchObject({ success: false, error: "no valid messages", details: [{ path: "batch[0].event" }] });
    expect((await send("/v1/batch", { batch: [] })).status).toBe(400);
    expect((await json(await send("/v1/batch", { nope: [] }))).details).toEqual([{ path: "batch", message: expect.any(String) }]);
    expect((await send("/v1/batch", null, { raw: "{not json" })).status).toBe(400);
  });

  it("enforces Segment's limits: 32 KB per message and 500 KB per batch", async () => {
    const big = track({ properties: { blob: "x".repeat(33 * 1024) } });
    const one = await send("/v1/track", big);
    expect(one.status).toBe(400);
    const inBatch = await json(await send("/v1/batch", { batch: [track(), big] }));
    expect(inBatch).toMatchObject({ accepted: 1, rejected: [{ index: 1, errors: [{ path: "(root)", message: expect.stringContaining("32 KB") }] }] });
    const huge = { batch: Array.from({ length: 17 }, () => track({ properties: { blob: "y".repeat(30 * 1024) } })) };
    const res = await send("/v1/batch", huge);
    expect(res.status).toBe(400);
    expect((await json(res)).error).toContain("limit");
    // Also when the body is gzip: the limit is on the decompressed bytes.
    const gz = await send("/v1/batch", huge, { gzip: true });
    expect(gz.status).toBe(400);
    expect((await json(gz)).error).toContain("decompressed");
  });

  it("reads gzip bodies and refuses broken ones", async () => {
    const m = track();
    expect(await json(await send("/v1/batch", { batch: [m] }, { gzip: true }))).toMatchObject({ accepted: 1 });
    const bad = await send("/v1/batch", null, { raw: new Uint8Array([1, 2, 3, 4]), headers: { "content-encoding": "gzip" } });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toContain("gzip");
  });

  it("uses userId as the owner when there is no anonymousId, and the same user's messages go to one object", async () => {
    const userId = uid("user");
    const res = await send("/v1/batch", { batch: [track({ anonymousId: undefined, userId }), track({ anonymousId: undefined, userId, event: "Other" })] });
    expect(await json(res)).toMatchObject({ accepted: 2 });
    const p = await profile(userId);
    expect(p).toMatchObject({ user_id: userId, counts: { custom: 2 } });
  });

  it("stores server-side records without the backend's geo and bot flag, with the stated location and user agent", async () => {
    const anonymousId = uid("anon");
    const m = track({ anonymousId, event: "Product Viewed", properties: { product_id: "sku-9" }, context: { ip: "203.0.113.9", userAgent: CHROME, location: { country: "FR", city: "Paris" }, page: { url: "https://shop.example/p/sku-9?utm_campaign=spring", referrer: "https://www.google.com/" }, locale: "fr-FR" } });
    const req = new Request("https://collector.test/v1/track", { method: "POST", headers: { authorization: basic(SERVER), "content-type": "application/json", "user-agent": "analytics-node-next/latest" }, body: JSON.stringify(m), cf: { country: "US", city: "Ashburn", colo: "IAD", asn: 14618 } as never });
    expect((await exports.default.fetch(req)).status).toBe(200);
    const day = new Date().toISOString().slice(0, 10);
    const line = await eventually(async () => {
      const list = (await json(await get(`/v1/admin/lake?prefix=events/site=demo/dt=${day}/`))) as { key: string }[];
      for (const o of list) {
        const text = await (await get(`/v1/admin/lake/${o.key}`)).text();
        const hit = text.split("\n").filter(Boolean).map((l) => JSON.parse(l)).find((r) => r.id === m.messageId);
        if (hit) return { hit, text };
      }
      return null;
    }, { what: "the Segment message in the lake", ms: 20_000, every: 250 });
    expect(line.hit).toMatchObject({ type: "product_view", props: { product_id: "sku-9" }, anonymous_id: anonymousId, geo: { country: "FR", city: "Paris", colo: null, asn: null }, ua: { browser: "Chrome" }, bot: false, locale: "fr-FR", page: { referrer_host: "www.google.com", utm: { campaign: "spring" } } });
    expect(line.hit.ts).toBe(m.timestamp);
    expect(line.text).not.toContain("203.0.113.9");
  });
});
