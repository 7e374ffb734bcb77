/**
 * Hostile times on every ingest route (schemas/time.ts): an event outside the window is
 * rejected with its path, never a 5xx; no profile field, timer or alarm outside the window,
 * also for profiles stored before the window existed (merge included).
 */
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DAY_MS, TIME_WINDOW } from "../schemas";
import { emptyProfile, type Profile } from "../durable-objects/profile";
import { ADMIN, CHROME, envelope, ev, get, pageView, post, uid } from "./helpers";

const stub = (site: string, id: string) => env.PROFILES.get(env.PROFILES.idFromName(`${site}:${id}`));
const json = async (r: Response) => (await r.json()) as any;
const iso = (ms: number) => new Date(ms).toISOString();

/** Every time a profile holds, and its object's timers and alarm, lie in [from, to]. */
async function expectTimesWithin(site: string, id: string, from: number, to: number) {
  const p = await json(await get(`/v1/profiles/${site}/${id}`, ADMIN));
  const times = [p.first_seen, p.last_seen, p.sessions.current?.started_at, p.sessions.current?.last_activity, p.cart.updated_at, ...p.recent_products.map((x: any) => x.at), ...p.recent_searches.map((x: any) => x.at)].filter((x) => x !== null && x !== undefined);
  expect(times.length).toBeGreaterThan(0);
  for (const t of times) {
    expect(Date.parse(t), t).toBeGreaterThanOrEqual(from);
    expect(Date.parse(t), t).toBeLessThanOrEqual(to);
  }
  const state = await stub(site, id).bufferState();
  for (const [name, due] of Object.entries(state.timers)) {
    expect(Number.isFinite(due), name).toBe(true);
    expect(due, name).toBeGreaterThanOrEqual(from);
  }
  if (state.alarm !== null) expect(state.alarm).toBeGreaterThanOrEqual(from);
  return p;
}

describe("time bounds on /v1/collect", () => {
  it("rejects an event with sent_at 9999-12-31 and ts in the year 1000 with its path, not a 500, and stores nothing", async () => {
    const anon = uid("anon");
    const res = await post(envelope({ anonymous_id: anon, sent_at: "9999-12-31T23:59:59.999Z" }, [pageView({ ts: "1000-01-01T00:00:00.000Z" })]));
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.details).toEqual([{ path: "events[0].ts", message: expect.stringContaining("years before") }]);
    expect((await get(`/v1/profiles/demo/${anon}`, ADMIN)).status).toBe(404);
    // A retry is refused again (nothing was kept), not answered as a duplicate.
    expect((await post(envelope({ anonymous_id: anon, sent_at: "9999-12-31T23:59:59.999Z" }, [pageView({ id: body.rejected[0].id, ts: "1000-01-01T00:00:00.000Z" })]))).status).toBe(400);
  });

  it("accepts the valid events of a batch, rejects the out-of-window ones by index, and keeps every time in the window", async () => {
    const anon = uid("anon");
    const now = Date.now();
    const events = [
      pageView({ ts: iso(now - 1000) }),
      ev("product_view", { product_id: "sku-old" }, { ts: iso(now - 8 * DAY_MS) }), // 8 days before it was sent: too old for a browser
      ev("add_to_cart", { product_id: "sku-1", quantity: 1 }, { ts: iso(now - 6 * DAY_MS) }), // 6 days: an offline outbox, kept
      ev("search", { query: "far" }, { ts: "0000-01-01T00:00:00.000Z" }),
    ];
    const res = await post(envelope({ anonymous_id: anon, sent_at: iso(now) }, events));
    expect(res.status).toBe(202);
    const body = await json(res);
    expect(body.accepted).toBe(2);
    expect(body.rejected.map((r: any) => [r.index, r.errors[0].path])).toEqual([[1, "ts"], [3, "ts"]]);
    const p = await expectTimesWithin("demo", anon, now - TIME_WINDOW.browser.pastMs - 1000, Date.now() + TIME_WINDOW.browser.futureMs);
    expect(p.counts).toMatchObject({ page_view: 1, add_to_cart: 1, product_view: 0, search: 0 });
  });

  it("skew-corrects a client clock thousands of years off into the window (its events are kept, at the server's time)", async () => {
    const anon = uid("anon");
    const before = Date.now();
    const res = await post(envelope({ anonymous_id: anon, sent_at: "9999-12-31T23:59:59.000Z" }, [pageView({ ts: "9999-12-31T23:59:58.000Z" })]));
    expect(res.status).toBe(202);
    const p = await expectTimesWithin("demo", anon, before - 2000, Date.now());
    expect(Date.parse(p.first_seen)).toBeGreaterThanOrEqual(before - 1000 - 50);
  });

  it("never sets a timer or alarm outside the window (site timers: session and cart timers)", async () => {
    const anon = uid("anon");
    const now = Date.now();
    const res = await post(envelope({ site: "timers", anonymous_id: anon, sent_at: iso(now + 50 * 365 * DAY_MS) }, [ev("add_to_cart", { product_id: "sku-1", quantity: 1 }, { ts: iso(now + 50 * 365 * DAY_MS - 500) })]));
    expect(res.status).toBe(202);
    await expectTimesWithin("timers", anon, now - 1000, Date.now());
  });
});

describe("time bounds on the Segment-compatible API", () => {
  const send = (body: unknown, key = "test-server-key", headers: Record<string, string> = {}) =>
    exports.default.fetch(new Request("https://collector.test/v1/batch", { method: "POST", headers: { "content-type": "application/json", "user-agent": CHROME, authorization: `Basic ${btoa(`${key}:`)}`, ...headers }, body: JSON.stringify(body) }));
  const msg = (over: Record<string, unknown>) => ({ type: "track", messageId: uid("m"), anonymousId: uid("anon"), event: "Signed Up", ...over });

  it("server keys: history within 730 days is kept as sent; older, or more than 5 minutes ahead, is rejected at `timestamp`", async () => {
    const now = Date.now();
    const kept = msg({ timestamp: iso(now - 700 * DAY_MS) });
    const res = await send({ sentAt: iso(now), batch: [kept, msg({ timestamp: iso(now - 800 * DAY_MS) }), msg({ timestamp: iso(now + 10 * 60_000) }), msg({ timestamp: "1000-01-01T00:00:00Z", sentAt: "9999-12-31T23:59:59Z" })] });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.accepted).toBe(1);
    expect(body.rejected.map((r: any) => [r.index, r.errors[0].path])).toEqual([[1, "timestamp"], [2, "timestamp"], [3, "timestamp"]]);
    expect(body.rejected[1].errors[0].message).toContain("after");
    const p = await json(await get(`/v1/profiles/demo/${kept.anonymousId}`, ADMIN));
    expect(p.first_seen).toBe(iso(now - 700 * DAY_MS));
  });

  it("a single out-of-window message is a 400 naming `timestamp`, never a 500 (server and browser keys)", async () => {
    const one = await exports.default.fetch(new Request("https://collector.test/v1/track", { method: "POST", headers: { "content-type": "application/json", authorization: `Basic ${btoa("test-server-key:")}` }, body: JSON.stringify(msg({ timestamp: "1000-01-01T00:00:00Z" })) }));
    expect(one.status).toBe(400);
    expect((await json(one)).details).toEqual([{ path: "timestamp", message: expect.any(String) }]);
    const browser = await send({ sentAt: "9999-12-31T23:59:59Z", batch: [msg({ timestamp: "9999-12-31T23:59:58Z" }), msg({ originalTimestamp: "1000-01-01T00:00:00Z" })] }, "demo-browser-key", { origin: "http://localhost:3000" });
    expect(browser.status).toBe(200);
    const b = await json(browser);
    expect(b.accepted).toBe(1); // a browser clock far ahead is corrected
    expect(b.rejected).toEqual([{ index: 1, messageId: expect.any(String), errors: [{ path: "originalTimestamp", message: expect.any(String) }] }]);
  });
});

describe("profiles stored before the window existed", () => {
  /** What the issue found: a profile whose times are thousands of years off, written by the old code. */
  function corrupted(site: string, id: string): Profile {
    const p = emptyProfile(site, id);
    const bad = "-005947-10-30T00:00:00.000Z";
    p.first_seen = bad;
    p.last_seen = bad;
    p.counts.add_to_cart = 1;
    p.anonymous_ids = [id];
    p.sessions = { count: 1, recent_ids: ["s-old"], current: { id: "s-old", started_at: bad, last_activity: bad, duration_ms: 0, pages: 0, events: 1 }, last_ended: null, ended_duration_ms: 0 };
    p.cart = { items: [{ product_id: "sku-1", quantity: 1, price: null, currency: null }], updated_at: bad, abandoned_at: null };
    p.recent_products = [{ product_id: "sku-1", category: null, brand: null, action: "cart", at: bad }];
    p.affinities.products["sku-1"] = { s: 4, t: Date.parse(bad) };
    return p;
  }
  // Written as the old code did: the v1 layout's meta table (moved to the state row on first use, durable-objects/migrate-v1.ts).
  const plant = (site: string, id: string) =>
    runInDurableObject(stub(site, id), (_i, state) => {
      state.storage.sql.exec("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)");
      state.storage.sql.exec("INSERT INTO meta (k, v) VALUES ('site', ?), ('id', ?), ('profile', ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v", site, id, JSON.stringify(corrupted(site, id)));
    });

  it("repairs them on the next event: no 500, no time outside the window, counts kept", async () => {
    const anon = uid("anon");
    await plant("timers", anon);
    const before = Date.now();
    const res = await post(envelope({ site: "timers", anonymous_id: anon }, [pageView()]));
    expect(res.status).toBe(202);
    const p = await expectTimesWithin("timers", anon, before - 60_000, Date.now() + 1000);
    expect(p.counts).toMatchObject({ add_to_cart: 1, page_view: 1 });
  });

  it("merges such an anonymous profile into a user without carrying its times", async () => {
    const anon = uid("anon");
    const user = uid("user");
    await plant("demo", anon);
    const before = Date.now();
    const res = await post(envelope({ anonymous_id: anon, user_id: user }, [pageView()]));
    expect(res.status).toBe(202);
    const p = await expectTimesWithin("demo", user, before - 60_000, Date.now() + 1000);
    expect(p.counts).toMatchObject({ add_to_cart: 1, page_view: 1 });
  });
});
