import { describe, expect, it } from "vitest";
import type { StoredRecord } from "../schemas";
import { applyEvent, emptyProfile } from "./profile";
import { dueTimerEvents, stableId, timerRecord, timersOf } from "./timers";

const T0 = Date.parse("2026-11-26T10:00:00.000Z");
const cfg = { sessionTimeoutMs: 30 * 60_000, cartAbandonMs: 60 * 60_000 };
let n = 0;
function rec(type: StoredRecord["type"], props: Record<string, unknown>, atMs: number, session_id: string | null = "s-1"): StoredRecord {
  const ts = new Date(atMs).toISOString();
  return {
    id: `e${n++}`, site: "demo", type, props, anonymous_id: "a-1", user_id: null, identity: "none", session_id,
    client_ts: ts, sent_at: ts, received_at: ts, ts,
    page: { url: null, path: null, referrer_host: null, utm: { source: null, medium: null, campaign: null, term: null, content: null }, campaign_params: {} },
    geo: { country: "GB", region: null, city: null, postal_code: null, latitude: null, longitude: null, timezone: null, continent: null, colo: null, asn: null, as_org: null },
    ua: { browser: "Chrome", version: "131", os: "Windows 10", device_type: "desktop" },
    bot: false, locale: null, timezone: null,
  };
}
const apply = (p: ReturnType<typeof emptyProfile>, r: StoredRecord) => applyEvent(p, r, 24 * 3_600_000, cfg.sessionTimeoutMs);

describe("timer deadlines and due events (pure)", () => {
  it("session_end falls due after the inactivity timeout, with duration, pages and events", () => {
    const p = emptyProfile("demo", "a-1");
    apply(p, rec("page_view", {}, T0));
    apply(p, rec("page_view", {}, T0 + 60_000));
    apply(p, rec("click", {}, T0 + 90_000));
    expect(timersOf(p, cfg)).toEqual({ session_end: T0 + 90_000 + cfg.sessionTimeoutMs });
    expect(dueTimerEvents(p, T0 + 90_000 + cfg.sessionTimeoutMs - 1, cfg)).toEqual([]);
    const [end] = dueTimerEvents(p, T0 + 90_000 + cfg.sessionTimeoutMs, cfg);
    expect(end).toMatchObject({
      type: "session_end",
      ts: new Date(T0 + 90_000 + cfg.sessionTimeoutMs).toISOString(),
      props: { session_id: "s-1", started_at: new Date(T0).toISOString(), last_activity: new Date(T0 + 90_000).toISOString(), duration_ms: 90_000, pages: 2, events: 3 },
    });
    // Made again later (a re-run alarm), it is the same event: same id, same time.
    expect(dueTimerEvents(p, T0 + 10 * cfg.sessionTimeoutMs, cfg)[0]).toEqual(end);
    // Applying it closes the session and clears the timer.
    apply(p, timerRecord(p, end!, new Date().toISOString()));
    expect(p.sessions.current).toBeNull();
    expect(p.sessions.last_ended).toMatchObject({ id: "s-1", duration_ms: 90_000, pages: 2, events: 3 });
    expect(p.sessions.ended_duration_ms).toBe(90_000);
    expect(p.counts.session_end).toBe(1);
    expect(p.last_seen).toBe(new Date(T0 + 90_000).toISOString()); // a timer is not activity
    expect(timersOf(p, cfg)).toEqual({});
    // The same client session id coming back later is a new session.
    apply(p, rec("page_view", {}, T0 + 3 * 3_600_000));
    expect(p.sessions).toMatchObject({ count: 2, current: { id: "s-1", pages: 1, events: 1 } });
  });

  it("cart_abandoned falls due after idle time with items in the cart, once per cart state", () => {
    const p = emptyProfile("demo", "a-1");
    apply(p, rec("add_to_cart", { product_id: "sku-1", quantity: 2, price: 10, currency: "EUR" }, T0));
    apply(p, rec("add_to_cart", { product_id: "sku-2", quantity: 1 }, T0 + 1000));
    apply(p, rec("page_view", {}, T0 + 5 * 60_000)); // still browsing: idle counts from here
    const due = T0 + 5 * 60_000 + cfg.cartAbandonMs;
    expect(timersOf(p, cfg).cart_abandoned).toBe(due);
    const events = dueTimerEvents(p, due, cfg);
    // The session ended long before: both are due, oldest first.
    expect(events.map((e) => e.type)).toEqual(["session_end", "cart_abandoned"]);
    const cart = events[1]!;
    expect(cart.props).toEqual({
      items: [{ product_id: "sku-1", quantity: 2, price: 10, currency: "EUR" }, { product_id: "sku-2", quantity: 1, price: null, currency: null }],
      item_count: 3, value: { EUR: 20 }, cart_updated_at: new Date(T0 + 1000).toISOString(), idle_ms: cfg.cartAbandonMs,
    });
    for (const e of events) apply(p, timerRecord(p, e, new Date(due).toISOString()));
    expect(p.cart.abandoned_at).toBe(cart.ts);
    expect(dueTimerEvents(p, due + 10 * cfg.cartAbandonMs, cfg)).toEqual([]);
    // A cart change re-arms it with a new id; a purchase clears it.
    apply(p, rec("remove_from_cart", { product_id: "sku-2" }, due + 1000, "s-2"));
    const again = dueTimerEvents(p, due + 1000 + cfg.cartAbandonMs, cfg).find((e) => e.type === "cart_abandoned")!;
    expect(again.id).not.toBe(cart.id);
    apply(p, rec("purchase", { order_id: "o-1", revenue: 20, currency: "EUR", items: [{ product_id: "sku-1", quantity: 2 }] }, due + 2000, "s-2"));
    expect(timersOf(p, cfg).cart_abandoned).toBeUndefined();
  });

  it("makes records with the user's last context and ids within the event id alphabet", () => {
    const p = emptyProfile("demo", "u-1");
    apply(p, { ...rec("page_view", {}, T0), user_id: "u-1", identity: "verified" });
    const [end] = dueTimerEvents(p, T0 + cfg.sessionTimeoutMs, cfg);
    const r = timerRecord(p, end!, "2026-11-26T11:00:00.000Z");
    expect(r).toMatchObject({ type: "session_end", user_id: "u-1", identity: "verified", anonymous_id: "a-1", session_id: "s-1", received_at: "2026-11-26T11:00:00.000Z", geo: { country: "GB" }, ua: { browser: "Chrome" }, bot: false });
    expect(r.id).toMatch(/^[A-Za-z0-9_.:-]{1,64}$/);
    expect(stableId("se", "a", "b")).toBe(stableId("se", "a", "b"));
    expect(stableId("se", "a", "b")).not.toBe(stableId("se", "ab", ""));
  });
});
