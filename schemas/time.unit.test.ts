import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { alarmTime, clampToWindow, correctTs, DAY_MS, EARLIEST_MS, eventTime, inWindow, isoOf, isoString, utcIsoMs, MAX_ALARM_AHEAD_MS, MAX_DATE_MS, MINUTE_MS, parseTime, plausibleTime, TIME_WINDOW } from "./time";

const NOW = Date.parse("2026-11-30T12:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();

describe("parseTime and isoOf", () => {
  it("give a finite time or null, never NaN, Infinity or a RangeError", () => {
    expect(parseTime("2026-11-30T12:00:00.000Z")).toBe(NOW);
    for (const bad of ["", "NaN", "1e400", "Infinity", "soon", "+275761-01-01T00:00:00Z", 5, null, undefined, {}, "x".repeat(100)]) expect(parseTime(bad)).toBeNull();
    expect(parseTime("+275760-09-13T00:00:00.000Z")).toBe(MAX_DATE_MS);
    expect(isoOf(NaN)).toBeNull();
    expect(isoOf(Infinity)).toBeNull();
    expect(isoOf(MAX_DATE_MS + 1)).toBeNull();
    expect(isoOf(0)).toBe("1970-01-01T00:00:00.000Z");
    fc.assert(fc.property(fc.oneof(fc.string(), fc.date({ noInvalidDate: false }).map((d) => (Number.isNaN(d.getTime()) ? "Invalid" : d.toISOString()))), (s) => {
      const ms = parseTime(s);
      if (ms !== null) expect(isoOf(ms)).not.toBeNull();
    }));
  });
});

describe("isoString", () => {
  it("is toISOString's string for every time, by arithmetic in years 1970..9999", () => {
    const LAST = Date.UTC(10000, 0, 1);
    const edges = [0, 1, 999, 1000, DAY_MS - 1, DAY_MS, Date.UTC(1972, 1, 29), Date.UTC(2000, 1, 29, 23, 59, 59, 999), Date.UTC(2000, 2, 1), Date.UTC(2100, 1, 28, 12), Date.UTC(2100, 2, 1), Date.UTC(2400, 1, 29), NOW, LAST - 1];
    for (const ms of edges) expect(isoString(ms)).toBe(new Date(ms).toISOString());
    fc.assert(fc.property(fc.oneof(fc.integer({ min: 0, max: LAST - 1 }), fc.integer({ min: NOW - 800 * DAY_MS, max: NOW + DAY_MS }), fc.integer({ min: -MAX_DATE_MS, max: MAX_DATE_MS }), fc.double({ min: -1e13, max: 1e13, noNaN: true })), (ms) => {
      expect(isoString(ms)).toBe(new Date(ms).toISOString());
    }), { numRuns: 20_000 });
    for (const bad of [NaN, Infinity, -Infinity, MAX_DATE_MS + 1]) expect(() => isoString(bad)).toThrow(RangeError);
  });
});

describe("utcIsoMs", () => {
  it("is Date.parse for toISOString's form with fields in range, and null (ask Date.parse) for anything else", () => {
    for (const s of ["2026-11-30T12:00:00.000Z", "2026-11-30T12:00:00Z", "2024-02-29T23:59:59.999Z", "2000-02-29T00:00:00Z", "0000-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"]) expect(utcIsoMs(s)).toBe(Date.parse(s));
    for (const s of ["2026-02-29T00:00:00.000Z", "2100-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-11-30T24:00:00.000Z", "2026-11-30T23:59:60Z", "2026-11-30T12:00:00.1Z", "2026-11-30T12:00:00.000+01:00", "2026-11-30t12:00:00.000Z", "2026-11-30T12:00:00.000z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-11-00T00:00:00Z", "+02026-11-30T12:00:00Z", "2026-11-30T12:0a:00.000Z", "2026-11-30 12:00:00.000Z", "２026-11-30T12:00:00.000Z"]) expect(utcIsoMs(s)).toBeNull();
    const iso = fc.integer({ min: Date.parse("0000-01-01T00:00:00.000Z"), max: Date.parse("9999-12-31T23:59:59.999Z") }).map((ms) => new Date(ms).toISOString());
    const text = fc.oneof(iso, iso.map((s) => s.replace(/\.\d{3}Z$/, "Z")), iso.chain((s) => fc.tuple(fc.nat(s.length - 1), fc.constantFrom("0", "9", "1", "3", "x", "-", ":", ".", "Z", "T", " ")).map(([i, c]) => s.slice(0, i) + c + s.slice(i + 1))));
    fc.assert(fc.property(text, (s) => {
      const ms = utcIsoMs(s);
      if (ms !== null) expect(ms).toBe(Date.parse(s));
      expect(parseTime(s)).toBe(Number.isFinite(Date.parse(s)) ? Date.parse(s) : null);
    }), { numRuns: 20_000 });
  });
});

describe("eventTime: the window", () => {
  const browser = (sentAt: string, ts: string) => eventTime({ receivedMs: NOW, sentAt, ts, source: "browser" });
  const server = (ts: string) => eventTime({ receivedMs: NOW, sentAt: iso(NOW), ts, source: "server" });

  it("refuses sent_at 9999-12-31 with ts in the year 1000 at path ts", () => {
    const v = browser("9999-12-31T23:59:59.999Z", "1000-01-01T00:00:00.000Z");
    expect(v).toMatchObject({ ok: false, path: "ts" });
    expect(!v.ok && v.message).toContain("years before");
    expect(!v.ok && v.message).toContain("server key");
  });

  it("skew-corrects browser times, keeps 7 days of history, never after received_at", () => {
    expect(browser("9999-12-31T23:59:59.000Z", "9999-12-31T23:59:58.000Z")).toEqual({ ok: true, ms: NOW - 1000 });
    expect(browser(iso(NOW), iso(NOW - 7 * DAY_MS))).toEqual({ ok: true, ms: NOW - 7 * DAY_MS });
    expect(browser(iso(NOW), iso(NOW - 7 * DAY_MS - 1))).toMatchObject({ ok: false, path: "ts" });
    expect(browser(iso(NOW - 3600_000), iso(NOW + 3600_000))).toEqual({ ok: true, ms: NOW }); // an event "after" its send: received_at
    expect(browser("soon", iso(NOW))).toMatchObject({ ok: false, path: "sent_at" });
  });

  it("keeps server times as sent within 730 days back and 5 minutes ahead", () => {
    expect(server(iso(NOW - 730 * DAY_MS))).toEqual({ ok: true, ms: NOW - 730 * DAY_MS });
    expect(server(iso(NOW - 731 * DAY_MS))).toMatchObject({ ok: false, path: "ts" });
    expect(server(iso(NOW + 5 * MINUTE_MS))).toEqual({ ok: true, ms: NOW + 5 * MINUTE_MS });
    const ahead = server(iso(NOW + 6 * MINUTE_MS));
    expect(ahead).toMatchObject({ ok: false, path: "ts" });
    expect(!ahead.ok && ahead.message).toContain("6 minutes after");
  });

  it("any pair of parseable times gives a time inside the window, or a refusal (property)", () => {
    const anyIso = fc.integer({ min: -MAX_DATE_MS, max: MAX_DATE_MS }).map(iso);
    fc.assert(
      fc.property(anyIso, anyIso, fc.constantFrom("browser" as const, "server" as const), (sentAt, ts, source) => {
        const v = eventTime({ receivedMs: NOW, sentAt, ts, source });
        if (v.ok) expect(inWindow(v.ms, NOW, source)).toBe(true);
        else expect(v.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });

  it("clampToWindow always lands inside", () => {
    fc.assert(fc.property(fc.double(), fc.constantFrom("browser" as const, "server" as const), (ms, source) => inWindow(clampToWindow(ms, NOW, source), NOW, source)));
    expect(correctTs(NOW, NOW, NOW - 500)).toBe(NOW - 500);
    expect(TIME_WINDOW.server.pastMs).toBeGreaterThan(TIME_WINDOW.browser.pastMs);
  });
});

describe("alarmTime", () => {
  it("is finite, not before now, at most 400 days ahead, whatever the due time", () => {
    expect(alarmTime(NOW + 1000, NOW)).toBe(NOW + 1000);
    expect(alarmTime(-187_000_000_000_000, NOW)).toBe(NOW); // "-005947-10-30"
    expect(alarmTime(NaN, NOW)).toBe(NOW);
    expect(alarmTime(Infinity, NOW)).toBe(NOW);
    expect(alarmTime(NOW + 10 * 365 * DAY_MS, NOW)).toBe(NOW + MAX_ALARM_AHEAD_MS);
    expect(() => alarmTime(NOW, NaN)).toThrow(RangeError);
    fc.assert(fc.property(fc.double(), (due) => {
      const at = alarmTime(due, NOW);
      expect(at >= NOW && at <= NOW + MAX_ALARM_AHEAD_MS).toBe(true);
    }));
  });
});

describe("plausibleTime (repairing stored profiles)", () => {
  it("keeps times from 2000 to now + 5 minutes", () => {
    expect(plausibleTime(iso(EARLIEST_MS), NOW)).toBe(EARLIEST_MS);
    expect(plausibleTime("1999-12-31T23:59:59.999Z", NOW)).toBeNull();
    expect(plausibleTime("-005947-10-30T00:00:00.000Z", NOW)).toBeNull();
    expect(plausibleTime(iso(NOW + 6 * MINUTE_MS), NOW)).toBeNull();
    expect(plausibleTime(null, NOW)).toBeNull();
  });
});
