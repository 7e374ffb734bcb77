/**
 * Time from clients, bounded. Every place where client input becomes a time goes through
 * here: the worker (routes, enrichment) and the objects (profile, timers, alarms, merge).
 *
 * The window: an event's time, after clock-skew correction for browsers
 * (ts = received_at - (sent_at - client_ts)), must fall within
 *   browser (POST /v1/collect, Segment API with a browser key): 7 days before received_at
 *     .. 5 minutes after it (a corrected browser time is never after received_at anyway);
 *   server  (Segment API with a server key, timestamps kept as sent): 730 days (2 years)
 *     before received_at .. 5 minutes after it (historical imports).
 * An event outside it is rejected with its path (`ts`, or the sender's `timestamp`), never
 * stored, never profiled, never a timer: the answer is a 4xx (or the event listed in
 * `rejected` of a 2xx), never a 5xx. `client_ts` and `sent_at` are kept in the record as the
 * client sent them (valid ISO 8601 date-times, evidence of its clock), and are never used as
 * a time by the collector.
 *
 * Pure: no Workers APIs, no clock (callers pass `now`).
 */

export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export type TimeSource = "browser" | "server";

/** How far an event's (corrected) time may lie before / after received_at. */
export const TIME_WINDOW: Readonly<Record<TimeSource, { pastMs: number; futureMs: number }>> = {
  browser: { pastMs: 7 * DAY_MS, futureMs: 5 * MINUTE_MS },
  server: { pastMs: 730 * DAY_MS, futureMs: 5 * MINUTE_MS },
};

/** Segment API with a browser key: an event more than this before its sentAt is refused (backdating). */
export const SEGMENT_BROWSER_MAX_AGE_MS = 24 * HOUR_MS;

/** The range of a JavaScript Date: ±8.64e15 ms around 1970 (about ±275,000 years). */
export const MAX_DATE_MS = 8.64e15;

/**
 * No stored time (profile fields, timers) is older than this: the floor used to repair
 * profiles written before the window existed. Every event accepted since has a time within
 * 730 days of its receipt, so nothing legitimate is earlier.
 */
export const EARLIEST_MS = Date.UTC(2000, 0, 1);

/** An alarm is set at most this far ahead; a later timer is re-armed when the alarm wakes. */
export const MAX_ALARM_AHEAD_MS = 400 * DAY_MS;

/** Milliseconds of an ISO 8601 string, or null: never NaN, never ±Infinity, never beyond a Date's range. */
export function parseTime(v: unknown): number | null {
  if (typeof v !== "string" || v.length === 0 || v.length > 64) return null;
  const ms = utcIsoMs(v) ?? Date.parse(v);
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS ? ms : null;
}

/** ISO string of a time, or null when it is not one (NaN, ±Infinity, beyond a Date's range). */
export function isoOf(ms: number): string | null {
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS ? isoString(ms) : null;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
}

const digit = (s: string, i: number): number => {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
};
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Date.parse of the form toISOString writes, `YYYY-MM-DDTHH:MM:SS.sssZ` (or without `.sss`),
 * with every field in its range: what browsers send. Anything else (offsets, other precisions,
 * 24:00, February 30, which Date.parse rolls over) is null, for Date.parse itself.
 */
export function utcIsoMs(s: string): number | null {
  const n = s.length;
  if ((n !== 24 && n !== 20) || s.charCodeAt(n - 1) !== 90 /* Z */) return null;
  // - - T : : .
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58 || (n === 24 && s.charCodeAt(19) !== 46)) return null;
  const y = digit(s, 0) * 1000 + digit(s, 1) * 100 + digit(s, 2) * 10 + digit(s, 3);
  const mo = digit(s, 5) * 10 + digit(s, 6);
  const d = digit(s, 8) * 10 + digit(s, 9);
  const h = digit(s, 11) * 10 + digit(s, 12);
  const mi = digit(s, 14) * 10 + digit(s, 15);
  const sec = digit(s, 17) * 10 + digit(s, 18);
  const ms = n === 24 ? digit(s, 20) * 100 + digit(s, 21) * 10 + digit(s, 22) : 0;
  // NaN (a non-digit) fails every comparison below.
  if (!(y >= 0 && mo >= 1 && mo <= 12 && d >= 1 && h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && sec >= 0 && sec <= 59 && ms >= 0)) return null;
  const leap = mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (!(d <= DAYS_IN_MONTH[mo - 1]! + (leap ? 1 : 0))) return null;
  return daysFromCivil(y, mo, d) * DAY_MS + h * HOUR_MS + mi * MINUTE_MS + sec * SECOND_MS + ms;
}

const pad2 = (n: number): string => (n < 10 ? "0" + n : "" + n);
const pad3 = (n: number): string => (n < 10 ? "00" + n : n < 100 ? "0" + n : "" + n);
const LAST_4_DIGIT_YEAR_MS = Date.UTC(10000, 0, 1);

/**
 * `new Date(ms).toISOString()`, the same string, by arithmetic for whole milliseconds in years
 * 1970..9999 (V8's toISOString costs about 1 µs, and a record has one per event); other values
 * go to toISOString itself (which throws a RangeError for NaN and ±Infinity).
 */
export function isoString(ms: number): string {
  if (!(ms >= 0 && ms < LAST_4_DIGIT_YEAR_MS) || !Number.isInteger(ms)) return new Date(ms).toISOString();
  const days = Math.floor(ms / DAY_MS);
  let rest = ms - days * DAY_MS;
  // Civil date from days since 1970-01-01 (H. Hinnant's days_from_civil, inverted), in eras of 400 years from 0000-03-01.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const h = Math.floor(rest / HOUR_MS);
  rest -= h * HOUR_MS;
  const m = Math.floor(rest / MINUTE_MS);
  rest -= m * MINUTE_MS;
  const s = Math.floor(rest / SECOND_MS);
  return year + "-" + pad2(month) + "-" + pad2(day) + "T" + pad2(h) + ":" + pad2(m) + ":" + pad2(s) + "." + pad3(rest - s * SECOND_MS) + "Z";
}

/**
 * The client's clock may be off; the offset between its sent_at and our received_at tells by
 * how much. ts = received_at - (sent_at - client_ts), never later than received_at.
 */
export function correctTs(receivedMs: number, sentAtMs: number, clientMs: number): number {
  const age = Math.max(0, sentAtMs - clientMs);
  return receivedMs - age;
}

export function inWindow(ms: number, receivedMs: number, source: TimeSource): boolean {
  const w = TIME_WINDOW[source];
  return Number.isFinite(ms) && ms >= receivedMs - w.pastMs && ms <= receivedMs + w.futureMs;
}

/** The nearest time inside the window (NaN becomes received_at). */
export function clampToWindow(ms: number, receivedMs: number, source: TimeSource): number {
  const w = TIME_WINDOW[source];
  if (!Number.isFinite(ms)) return receivedMs;
  return Math.min(receivedMs + w.futureMs, Math.max(receivedMs - w.pastMs, ms));
}

export type TimeVerdict = { ok: true; ms: number } | { ok: false; path: "ts" | "sent_at"; message: string };

const span = (ms: number): string => {
  const a = Math.abs(ms);
  if (a >= 2 * 365 * DAY_MS) return `${Math.round(a / (365.25 * DAY_MS))} years`;
  if (a >= 2 * DAY_MS) return `${Math.round(a / DAY_MS)} days`;
  if (a >= 2 * HOUR_MS) return `${Math.round(a / HOUR_MS)} hours`;
  if (a >= 2 * MINUTE_MS) return `${Math.round(a / MINUTE_MS)} minutes`;
  return `${Math.round(a / SECOND_MS)} s`;
};
const limits = (s: TimeSource) => `${span(TIME_WINDOW[s].pastMs)} before to ${span(TIME_WINDOW[s].futureMs)} after the time it was received`;

/**
 * The time an event is stored and profiled at, or why it is refused. Browsers: skew-corrected
 * from sent_at; servers: as sent. Either way inside the source's window.
 */
export function eventTime(input: { receivedMs: number; sentAt: unknown; ts: unknown; source: TimeSource; /** parseTime(sentAt), when the caller has it (one per beacon). */ sentMs?: number | null }): TimeVerdict {
  const { receivedMs, source } = input;
  const clientMs = parseTime(input.ts);
  if (clientMs === null) return { ok: false, path: "ts", message: "expected an ISO 8601 date-time" };
  let ms = clientMs;
  if (source === "browser") {
    const sentMs = input.sentMs !== undefined ? input.sentMs : parseTime(input.sentAt);
    if (sentMs === null) return { ok: false, path: "sent_at", message: "expected an ISO 8601 date-time" };
    ms = correctTs(receivedMs, sentMs, clientMs);
  }
  if (inWindow(ms, receivedMs, source)) return { ok: true, ms };
  const off = ms - receivedMs;
  const what = source === "browser" ? "corrected time (received_at - (sent_at - ts))" : "time";
  const hint = source === "browser" && off < 0 ? "; historical events need a server key" : "";
  return { ok: false, path: "ts", message: `the event's ${what} is ${span(off)} ${off < 0 ? "before" : "after"} it was received; accepted: ${limits(source)}${hint}` };
}

/** Where an alarm may be set for a timer due at `due`: finite, not before now, at most MAX_ALARM_AHEAD_MS ahead. */
export function alarmTime(due: number, now: number): number {
  if (!Number.isFinite(now)) throw new RangeError("now must be a finite time");
  if (!Number.isFinite(due)) return now;
  return Math.min(now + MAX_ALARM_AHEAD_MS, Math.max(now, due));
}

/** A stored time is usable when it is not before EARLIEST_MS and not after now + 5 minutes. */
export function plausibleMs(ms: number, now: number): boolean {
  return Number.isFinite(ms) && ms >= EARLIEST_MS && ms <= now + TIME_WINDOW.browser.futureMs;
}

/** A stored ISO time that is usable (see plausibleMs), as milliseconds; else null. */
export function plausibleTime(v: unknown, now: number): number | null {
  const ms = parseTime(v);
  return ms !== null && plausibleMs(ms, now) ? ms : null;
}
