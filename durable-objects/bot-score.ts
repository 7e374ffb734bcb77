/**
 * Behavioural bot scoring from a user's own history, kept in their object. Pure and bounded:
 * the state is the last 32 event times and a little per-session bookkeeping.
 *
 * Signals (each adds to a 0..100 score; reasons name them):
 *  - rate:      more than 120 events in a minute (people do not click twice a second for a minute)
 *  - regular:   the last 12+ gaps between events vary by less than 3% (scripts tick, people do not)
 *  - burst:     10+ events within 200 ms that are not one page's auto-capture burst
 *  - sequence:  impossible orders: engagement with more active than visible time, a purchase
 *               whose items were never viewed, clicked or carted in this profile, scroll depth
 *               with no page view in the session
 *  - agent:     the user agent is a known bot (isbot / Cloudflare bot management)
 */
import { parseTime, type StoredRecord } from "../schemas";

export const BOT_WINDOW = 32;

export interface BotState {
  /** Event times (ms), oldest first, at most BOT_WINDOW. */
  times: number[];
  score: number;
  reasons: string[];
}

export const emptyBotState = (): BotState => ({ times: [], score: 0, reasons: [] });

const WEIGHT = { rate: 50, regular: 45, burst: 25, sequence: 35, agent: 80 } as const;
export type BotReason = keyof typeof WEIGHT;

/** Coefficient of variation of the gaps between consecutive times. */
export function gapVariation(times: readonly number[]): number {
  if (times.length < 3) return Infinity;
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++) gaps.push(times[i]! - times[i - 1]!);
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  if (mean <= 0) return 0;
  const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
  return sd / mean;
}

export interface History {
  /** Products seen in this profile (recent products, cart). */
  knownProducts: ReadonlySet<string>;
  /** Page views in the current session before this event. */
  sessionPages: number;
}

/** Adds one event (in time order) and returns the new state with its score and reasons. */
export function scoreEvent(prev: BotState, r: StoredRecord, h: History): BotState {
  const t = parseTime(r.ts);
  if (t === null) return prev; // no usable time: nothing to score (never NaN in the stored state)
  const times = [...prev.times, t].sort((a, b) => a - b).slice(-BOT_WINDOW);
  const reasons = new Set<BotReason>();
  if (r.bot) reasons.add("agent");
  const lastMinute = times.filter((x) => x > t - 60_000).length;
  if (lastMinute > 120 || (times.length === BOT_WINDOW && times[BOT_WINDOW - 1]! - times[0]! < 15_000)) reasons.add("rate");
  if (times.length >= 13 && gapVariation(times.slice(-13)) < 0.03 && times[times.length - 1]! - times[times.length - 13]! > 12 * 100) reasons.add("regular");
  const tight = times.filter((x) => x > t - 200).length;
  if (tight >= 10) reasons.add("burst");
  if (r.type === "engagement") {
    const p = r.props as { active_ms: number; visible_ms: number };
    if (p.active_ms > p.visible_ms + 1000) reasons.add("sequence");
  }
  if (r.type === "purchase") {
    const items = (r.props as { items: { product_id: string }[] }).items;
    const known = items.length > 0 && r.session_id !== null ? h.knownProducts : null;
    if (known && items.every((i) => !known.has(i.product_id))) reasons.add("sequence");
  }
  if (r.type === "scroll_depth" && h.sessionPages === 0) reasons.add("sequence");
  // The score decays as human-looking events arrive, so one odd moment does not stick forever.
  const fresh = [...reasons].reduce((a, k) => a + WEIGHT[k], 0);
  const score = Math.min(100, Math.round(prev.score * 0.9 + fresh));
  const kept = new Set([...(score > 0 ? prev.reasons : []), ...reasons]);
  return { times, score, reasons: [...kept].slice(0, 5) };
}
