/**
 * Per-user timers in workerd, on the real alarm: session_end after inactivity and cart_abandoned
 * after idle time with items in the cart reach the lake and the subscribers like any event.
 * Site "timers" (vitest.config.ts): sessions end after 2 s, carts are abandoned after 1 s.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { eventually } from "./eventually";
import { ADMIN, envelope, ev, get, pageView, post, uid } from "./helpers";
import { lakeLines, today } from "./lake";
import { openWebSocket } from "./subscribe";

describe("per-user timers on the Durable Object alarm", () => {
  it("makes session_end and cart_abandoned once, pushes them and writes them to the lake", async () => {
    const anon = uid("anon");
    const session = uid("s");
    const ws = await openWebSocket(`/v1/profiles/timers/${anon}/stream`);
    const events = [pageView(), ev("product_view", { product_id: "sku-1", price: 20, currency: "EUR" }), ev("add_to_cart", { product_id: "sku-1", quantity: 2, price: 20, currency: "EUR" })];
    expect((await post(envelope({ site: "timers", anonymous_id: anon, session_id: session }, events))).status).toBe(202);

    const cart = await ws.waitFor((f) => f.events.some((e) => e.type === "cart_abandoned"), 8000);
    const end = await ws.waitFor((f) => f.events.some((e) => e.type === "session_end"), 8000);
    expect(cart.frame.profile.cart.abandoned_at).not.toBeNull();
    expect(end.frame.profile.sessions).toMatchObject({ current: null, last_ended: { id: session, pages: 1, events: 3 } });
    expect(end.frame.profile.counts).toMatchObject({ session_end: 1, cart_abandoned: 1 });

    const mine = await eventually(async () => {
      const lines = (await lakeLines(`events/site=timers/dt=${today()}/`)).filter((l) => l.anonymous_id === anon);
      return lines.length >= 5 ? lines : null;
    }, { what: "session_end and cart_abandoned in the lake", ms: 20_000, every: 250 });
    const byType = Object.fromEntries(mine.map((l) => [l.type, l]));
    expect(byType.session_end).toMatchObject({ site: "timers", session_id: session, user_id: null, identity: "none", props: { session_id: session, pages: 1, events: 3 } });
    expect(byType.session_end.props.duration_ms).toBe(Date.parse(byType.session_end.props.last_activity) - Date.parse(byType.session_end.props.started_at));
    expect(Date.parse(byType.session_end.ts) - Date.parse(byType.session_end.props.last_activity)).toBe(2000);
    expect(byType.cart_abandoned).toMatchObject({ props: { items: [{ product_id: "sku-1", quantity: 2, price: 20, currency: "EUR" }], item_count: 2, value: { EUR: 40 }, idle_ms: 1000 } });

    // Running the alarm again makes nothing new.
    const stub = env.PROFILES.get(env.PROFILES.idFromName(`timers:${anon}`));
    await runDurableObjectAlarm(stub);
    await runDurableObjectAlarm(stub);
    await new Promise((r) => setTimeout(r, 2500));
    const again = (await lakeLines(`events/site=timers/dt=${today()}/`)).filter((l) => l.anonymous_id === anon);
    expect(again.map((l) => l.type).sort()).toEqual(["add_to_cart", "cart_abandoned", "page_view", "product_view", "session_end"]);
    expect((await stub.bufferState()).timers).toEqual({ prune: expect.any(Number) });
    ws.close();
  });

  it("ends a session before a late event that comes after the timeout, in event time", async () => {
    const anon = uid("anon");
    const t = Date.now() - 10_600; // the last event is ~0.1 s old, so its own session_end is ~1.9 s away
    const at = (ms: number) => new Date(t + ms).toISOString();
    // One beacon from an outbox: two visits 10 s apart (timeout 2 s), no session id.
    const body = envelope({ site: "timers", anonymous_id: anon, session_id: undefined, sent_at: new Date().toISOString() }, [pageView({ ts: at(0) }), pageView({ ts: at(500) }), pageView({ ts: at(10_500) })]);
    expect((await post(body)).status).toBe(202);
    const p = (await (await get(`/v1/profiles/timers/${anon}`, ADMIN)).json()) as any;
    expect(p.sessions).toMatchObject({ count: 2, current: { pages: 1 }, last_ended: { pages: 2, duration_ms: 500 } });
    expect(p.counts.session_end).toBe(1);
  });

  it("refuses timer events from clients on /v1/collect", async () => {
    const res = await post(envelope({}, [ev("session_end", { session_id: "s", started_at: new Date().toISOString(), last_activity: new Date().toISOString(), duration_ms: 0, pages: 0, events: 0 })]));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "no valid events", details: [{ path: "events[0].type", message: expect.stringContaining("clients may not send it") }] });
  });
});
