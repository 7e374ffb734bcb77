/** The objects' pure parts never turn a bad time into NaN, a timer outside the window, or a throw. */
import { describe, expect, it } from "vitest";
import { type StoredRecord } from "../schemas";
import { emptyBotState, scoreEvent } from "./bot-score";
import { mergeProfiles } from "./merge";
import { applyEvent, emptyProfile, repairTimes, upgradeProfile, type Profile } from "./profile";
import { dueTimerEvents, timersOf } from "./timers";

const NOW = Date.parse("2026-11-30T12:00:00.000Z");
const BAD = "-005947-10-30T00:00:00.000Z";
const cfg = { sessionTimeoutMs: 30 * 60_000, cartAbandonMs: 60 * 60_000 };

function rec(ts: string, over: Partial<StoredRecord> = {}): StoredRecord {
  return {
    id: `t-${ts}`, site: "demo", type: "add_to_cart", props: { product_id: "sku-1", quantity: 1 }, anonymous_id: "a", user_id: null, identity: "none", session_id: "s-1",
    client_ts: ts, sent_at: ts, received_at: ts, ts,
    page: { url: null, path: null, referrer_host: null, utm: { source: null, medium: null, campaign: null, term: null, content: null }, campaign_params: {} },
    geo: { country: null, region: null, city: null, postal_code: null, latitude: null, longitude: null, timezone: null, continent: null, colo: null, asn: null, as_org: null },
    ua: { browser: null, version: null, os: null, device_type: "other" },
    bot: false, locale: null, timezone: null, ...over,
  };
}

/** A profile as the old code could leave it after a beacon dated 9999-12-31 with events in the year 1000. */
function legacy(): Profile {
  const p = emptyProfile("demo", "a");
  Object.assign(p, { first_seen: BAD, last_seen: BAD });
  p.counts.add_to_cart = 1;
  p.sessions = { count: 1, recent_ids: ["s-1"], current: { id: "s-1", started_at: BAD, last_activity: BAD, duration_ms: 0, pages: 0, events: 1 }, last_ended: null, ended_duration_ms: 0 };
  p.cart = { items: [{ product_id: "sku-1", quantity: 1, price: null, currency: null }], updated_at: BAD, abandoned_at: null };
  p.recent_products = [{ product_id: "sku-1", category: null, brand: null, action: "cart", at: BAD }];
  p.recent_searches = [{ query: "q", results_count: null, at: "not a time" }];
  p.affinities.products = { "sku-1": { s: 4, t: Date.parse(BAD) }, ok: { s: 1, t: NOW - 1000 } };
  return p;
}

describe("profile times", () => {
  it("repairTimes drops every time no accepted event can have made, and keeps counts and good entries", () => {
    const p = repairTimes(legacy(), NOW);
    expect(p).toMatchObject({ first_seen: null, last_seen: null, sessions: { current: null, count: 1 }, cart: { updated_at: null, items: [{ product_id: "sku-1" }] }, recent_products: [], recent_searches: [], counts: { add_to_cart: 1 } });
    expect(Object.keys(p.affinities.products)).toEqual(["ok"]);
    expect(timersOf(p, cfg)).toEqual({});
    expect(JSON.stringify(upgradeProfile(legacy(), NOW))).not.toContain("5947");
  });

  it("applyEvent ignores a record whose ts does not parse (no NaN anywhere)", () => {
    const p = applyEvent(emptyProfile("demo", "a"), rec("garbage"));
    expect(p).toEqual(emptyProfile("demo", "a"));
  });
});

describe("timers on unrepaired times", () => {
  it("set no timer from a time that does not parse, and never make an event with an invalid ts", () => {
    const p = legacy();
    p.sessions.current!.last_activity = "nope";
    p.cart.updated_at = "nope";
    expect(timersOf(p, cfg)).toEqual({});
    expect(dueTimerEvents(p, NOW, cfg)).toEqual([]);
  });
});

describe("merge", () => {
  it("gives a finite, non-negative session duration whatever the stored times", () => {
    const user = emptyProfile("demo", "u");
    user.sessions.current = { id: "s-1", started_at: "nope", last_activity: "2026-11-30T11:00:00.000Z", duration_ms: 0, pages: 1, events: 1 };
    const anon = emptyProfile("demo", "a");
    anon.sessions.current = { id: "s-1", started_at: "2026-11-30T10:00:00.000Z", last_activity: "nope", duration_ms: 0, pages: 1, events: 1 };
    const d = mergeProfiles(user, anon, 3_600_000).sessions.current!.duration_ms;
    expect(Number.isFinite(d) && d >= 0).toBe(true);
  });
});

describe("bot score", () => {
  it("leaves the state alone for a record without a usable time", () => {
    const s = emptyBotState();
    expect(scoreEvent(s, rec("garbage"), { knownProducts: new Set(), sessionPages: 0 })).toBe(s);
  });
});
