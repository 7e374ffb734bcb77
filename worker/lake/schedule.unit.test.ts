/** Which partitions the hourly job compacts and expires, and its settings. */
import { describe, expect, it } from "vitest";
import { expired, hourOf, hourStart, lakeTuning, scheduledPartitions } from "./schedule";

const at = (iso: string) => Date.parse(iso);

describe("lake schedule", () => {
  it("reads its settings with defaults and bounds", () => {
    expect(lakeTuning({})).toEqual({ retentionDays: 7, lookbackHours: 24, maxObjects: 2000, maxEvents: 20_000, runObjects: 8000 });
    expect(lakeTuning({ LAKE_NDJSON_RETENTION_DAYS: "0", LAKE_COMPACT_MAX_EVENTS: "abc", LAKE_COMPACT_LOOKBACK_HOURS: "3" })).toMatchObject({ retentionDays: 1, maxEvents: 20_000, lookbackHours: 3 });
  });
  it("maps times to UTC hours and back, refusing days that do not exist", () => {
    expect(hourOf(at("2031-05-06T07:59:59.999Z"))).toEqual({ dt: "2031-05-06", hr: "07" });
    expect(hourStart({ dt: "2031-05-06", hr: "07" })).toBe(at("2031-05-06T07:00:00Z"));
    expect(hourStart({ dt: "2031-02-30", hr: "07" })).toBeNaN();
  });
  it("expires a partition's NDJSON exactly `retentionDays` after its hour ended", () => {
    const p = { dt: "2031-05-06", hr: "07" };
    expect(expired(p, at("2031-05-13T07:59:59.999Z"), 7)).toBe(false);
    expect(expired(p, at("2031-05-13T08:00:00Z"), 7)).toBe(true);
  });
  it("compacts the closed hours of the lookback and the hours reaching retention, for every site", () => {
    const w = scheduledPartitions(["a", "b"], at("2031-05-10T03:05:00Z"), { lookbackHours: 2, retentionDays: 1 });
    expect(w.compact).toEqual([
      { site: "a", dt: "2031-05-10", hr: "02" }, { site: "b", dt: "2031-05-10", hr: "02" },
      { site: "a", dt: "2031-05-10", hr: "01" }, { site: "b", dt: "2031-05-10", hr: "01" },
    ]);
    expect(w.expire.map((p) => `${p.site} ${p.dt} ${p.hr}`)).toEqual(["a 2031-05-09 02", "b 2031-05-09 02", "a 2031-05-09 01", "b 2031-05-09 01"]);
    for (const p of w.expire) expect(expired(p, at("2031-05-10T03:05:00Z"), 1)).toBe(true);
    // The newest hour of the expire window has only just reached retention.
    expect(expired(w.expire[0]!, at("2031-05-10T02:59:59Z"), 1)).toBe(false);
  });
});
