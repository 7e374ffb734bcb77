/**
 * The scripted session of the issue: anonymous browsing, search, product views, add to cart,
 * identify, purchase -> the expected profile under the user id with the anonymous history
 * merged, every update pushed to a subscriber, and the events (plus session_end) in the lake.
 */
import { describe, expect, it } from "vitest";
import { eventually } from "./eventually";
import { ADMIN, envelope, ev, get, pageView, post, uid } from "./helpers";
import { lakeLines, today } from "./lake";
import { openWebSocket } from "./subscribe";

describe("scripted session", () => {
  it("anonymous browsing -> search -> views -> cart -> identify -> purchase", async () => {
    const anon = uid("anon");
    const user = uid("user");
    const session = uid("s");
    const site = "timers"; // sessions end after 2 s idle here, so session_end reaches the lake quickly
    // A recommender subscribes to the user before they log in.
    const sub = await openWebSocket(`/v1/profiles/${site}/${user}/stream`);
    const beacon = async (events: unknown[], over: Record<string, unknown> = {}) => {
      const res = await post(envelope({ site, anonymous_id: anon, session_id: session, ...over }, events));
      expect(res.status).toBe(202);
      return events as { id: string }[];
    };

    const sent: { id: string }[] = [];
    sent.push(...(await beacon([pageView({ props: { path: "/" } }), ev("scroll_depth", { percent: 50 })])));
    sent.push(...(await beacon([ev("search", { query: "Trail Shoes", results_count: 12 })])));
    sent.push(...(await beacon([pageView({ props: { path: "/p/sku-1" } }), ev("product_view", { product_id: "sku-1", category: "shoes", brand: "Acme", price: 80, currency: "EUR" }), ev("scroll_depth", { percent: 100 })])));
    sent.push(...(await beacon([ev("product_click", { product_id: "sku-2", category: "shoes", position: 2, list: "related" }), ev("product_view", { product_id: "sku-2", category: "shoes", brand: "Bolt", price: 95, currency: "EUR" })])));
    sent.push(...(await beacon([ev("add_to_cart", { product_id: "sku-2", quantity: 1, price: 95, currency: "EUR" })])));
    expect((await get(`/v1/profiles/${site}/${anon}`, ADMIN)).status).toBe(200);

    sent.push(...(await beacon([ev("identify", { user_id: user })])));
    const merged = await sub.waitFor((f) => f.profile?.counts?.identify === 1);
    expect(merged.frame.profile).toMatchObject({ id: user, anonymous_ids: [anon], counts: { add_to_cart: 1 } });

    sent.push(...(await beacon([ev("purchase", { order_id: uid("o"), revenue: 95, currency: "EUR", items: [{ product_id: "sku-2", quantity: 1, price: 95 }] })], { user_id: user })));
    sent.push(...(await beacon([ev("engagement", { active_ms: 42_000, visible_ms: 60_000 })])));

    const p = (await (await get(`/v1/profiles/${site}/${user}`, ADMIN)).json()) as any;
    expect(p).toMatchObject({
      id: user,
      user_id: user,
      identity: "asserted",
      anonymous_ids: [anon],
      counts: { page_view: 2, scroll_depth: 2, search: 1, product_view: 2, product_click: 1, add_to_cart: 1, identify: 1, purchase: 1, engagement: 1 },
      sessions: { count: 1, current: { id: session, pages: 2, events: 12 } },
      recent_searches: [{ query: "trail shoes", results_count: 12 }],
      cart: { items: [] },
      purchases: { count: 1, revenue: { EUR: 95 } },
      engagement: { active_ms: 42_000, visible_ms: 60_000, max_scroll_depth: 100, avg_scroll_depth: 75 },
    });
    expect(p.recent_products.map((r: any) => [r.product_id, r.action])).toEqual([["sku-2", "purchase"], ["sku-1", "view"]]);
    expect(p.recent_products[1]).toMatchObject({ category: "shoes", brand: "Acme" });
    // sku-2: click 2 + view 1 + cart 4 + purchase 8; sku-1: view 1. Cart and purchase count
    // for sku-2's category and brand, learnt from its view.
    expect(p.affinities.products.map((a: any) => a.key)).toEqual(["sku-2", "sku-1"]);
    expect(p.affinities.products[0].score).toBeCloseTo(15, 1);
    expect(p.affinities.categories).toEqual([{ key: "shoes", score: expect.closeTo(16, 1) }]);
    expect(p.affinities.brands).toEqual([{ key: "Bolt", score: expect.closeTo(13, 1) }, { key: "Acme", score: expect.closeTo(1, 1) }]);
    expect(p.affinities.half_life_hours).toBe(24);

    // The subscriber saw the purchase and the cart cleared.
    const bought = await sub.waitFor((f) => f.events.some((e) => e.type === "purchase"));
    expect(bought.frame.profile.cart.items).toEqual([]);

    // The lake gets every event once, plus the session's end.
    const ids = new Set(sent.map((e) => e.id));
    const lines = await eventually(async () => {
      const all = (await lakeLines(`events/site=${site}/dt=${today()}/`)).filter((l) => ids.has(l.id) || (l.type === "session_end" && l.session_id === session));
      return all.length >= ids.size + 1 ? all : null;
    }, { what: "the session's events and its session_end in the lake", ms: 20_000, every: 250 });
    expect(lines.filter((l) => ids.has(l.id)).length).toBe(ids.size);
    const end = lines.find((l) => l.type === "session_end");
    expect(end).toMatchObject({ user_id: user, props: { session_id: session, pages: 2, events: 12 } });
    sub.close();
  });
});
