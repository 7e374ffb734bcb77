/**
 * Per-user timers, as pure functions of the profile: when the current session ends
 * (inactivity) and when a cart with items is abandoned (inactivity), and the events the
 * collector makes for them. The object calls these from its alarm (at = now) and before each
 * accepted event (at = the event's time), so a batch that arrives late still gets its
 * session_end between the two sessions.
 *
 * Event ids are derived from what the event is about (site, owner, session id + start, cart
 * change time): a re-run alarm makes the same id, which the object's dedup drops.
 */
import { sha256HexSync } from "./lib/hash";
import { isoOf, parseTime, type StoredRecord } from "../schemas";
import type { Profile, SessionStats } from "./profile";

export interface TimerConfig {
  sessionTimeoutMs: number;
  cartAbandonMs: number;
}

export type TimerName = "session_end" | "cart_abandoned";

export function timerConfig(s: { session_timeout_seconds: number; cart_abandon_seconds: number }): TimerConfig {
  return { sessionTimeoutMs: s.session_timeout_seconds * 1000, cartAbandonMs: s.cart_abandon_seconds * 1000 };
}

export interface TimerEvent {
  id: string;
  type: TimerName;
  /** When the timer was due (deterministic), not when it ran. */
  ts: string;
  props: Record<string, unknown>;
}

/** 128-bit hex digest, for ids that must be the same every time they are made. */
export function stableId(prefix: string, ...parts: string[]): string {
  return `${prefix}-${sha256HexSync(parts.join("\u0000"), 32)}`;
}

/** Times in a profile are event times inside the window (schemas/time.ts); one that does not parse sets no timer. */
export function sessionEndDue(p: Profile, cfg: TimerConfig): number | null {
  const last = parseTime(p.sessions.current?.last_activity);
  return last === null ? null : last + cfg.sessionTimeoutMs;
}

function cartIdleSince(p: Profile): number | null {
  const updated = parseTime(p.cart.updated_at);
  return updated === null ? null : Math.max(updated, parseTime(p.last_seen) ?? updated);
}

export function cartAbandonDue(p: Profile, cfg: TimerConfig): number | null {
  if (p.cart.items.length === 0 || p.cart.abandoned_at || !p.cart.updated_at) return null;
  const idleSince = cartIdleSince(p);
  return idleSince === null ? null : idleSince + cfg.cartAbandonMs;
}

/** Due time of each timer that is set. */
export function timersOf(p: Profile, cfg: TimerConfig): Partial<Record<TimerName, number>> {
  const out: Partial<Record<TimerName, number>> = {};
  const s = sessionEndDue(p, cfg);
  if (s !== null) out.session_end = s;
  const c = cartAbandonDue(p, cfg);
  if (c !== null) out.cart_abandoned = c;
  return out;
}

/** The timer events due at or before `at`, oldest first. Applying them clears their timers. */
export function dueTimerEvents(p: Profile, at: number, cfg: TimerConfig): TimerEvent[] {
  const out: TimerEvent[] = [];
  const s = sessionEndDue(p, cfg);
  if (s !== null && s <= at) out.push(sessionEndEvent(p, p.sessions.current!, s));
  const c = cartAbandonDue(p, cfg);
  if (c !== null && c <= at) out.push(cartAbandonedEvent(p, c));
  return out.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
}

function sessionEndEvent(p: Profile, cur: SessionStats, due: number): TimerEvent {
  return {
    id: stableId("se", p.site, p.id, cur.id, cur.started_at),
    type: "session_end",
    ts: isoOf(due)!,
    props: {
      session_id: cur.id,
      started_at: cur.started_at,
      last_activity: cur.last_activity,
      duration_ms: Math.max(0, (parseTime(cur.last_activity) ?? 0) - (parseTime(cur.started_at) ?? Infinity)),
      pages: cur.pages,
      events: cur.events,
    },
  };
}

function cartAbandonedEvent(p: Profile, due: number): TimerEvent {
  const value: Record<string, number> = {};
  for (const i of p.cart.items) {
    if (i.price === null || !i.currency) continue;
    value[i.currency] = Math.round(((value[i.currency] ?? 0) + i.price * i.quantity) * 100) / 100;
  }
  const idleSince = cartIdleSince(p) ?? due;
  return {
    id: stableId("ca", p.site, p.id, p.cart.updated_at!),
    type: "cart_abandoned",
    ts: isoOf(due)!,
    props: {
      items: p.cart.items.map((i) => ({ ...i })),
      item_count: p.cart.items.reduce((n, i) => n + i.quantity, 0),
      value,
      cart_updated_at: p.cart.updated_at!,
      idle_ms: due - idleSince,
    },
  };
}

/** A timer event as a stored record: the user's last known context, no page, received now. */
export function timerRecord(p: Profile, e: TimerEvent, receivedAt: string): StoredRecord {
  const noPage = { url: null, path: null, referrer_host: null, utm: { source: null, medium: null, campaign: null, term: null, content: null }, campaign_params: {} };
  const geo = p.last_geo ?? { country: null, region: null, city: null, postal_code: null, latitude: null, longitude: null, timezone: null, continent: null, colo: null, asn: null, as_org: null };
  return {
    id: e.id,
    site: p.site,
    type: e.type,
    props: e.props,
    anonymous_id: p.anonymous_ids[0] ?? p.id,
    user_id: p.user_id,
    identity: p.user_id ? p.identity : "none",
    session_id: e.type === "session_end" ? (e.props.session_id as string) : (p.sessions.current?.id ?? null),
    client_ts: e.ts,
    sent_at: e.ts,
    received_at: receivedAt,
    ts: e.ts,
    page: noPage,
    geo,
    ua: p.last_device ?? { browser: null, version: null, os: null, device_type: "other" },
    bot: false,
    locale: null,
    timezone: null,
  };
}
