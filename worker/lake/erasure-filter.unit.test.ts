import { describe, expect, it } from "vitest";
import { deletionsFor, filterLines, type Deletion } from "./erasure-filter";

const T = "2026-11-30T10:00:00.000Z";
const del: Deletion = { key: "deletions/site=demo/dt=2026-11-30/u-1-x.json", record: { type: "erasure", site: "demo", id: "u-1", user_id: "u-1", anonymous_ids: ["a-1"], requested_at: T } };
const rec = (over: Record<string, unknown>) => ({ id: `e-${Math.random().toString(36).slice(2)}`, site: "demo", anonymous_id: "a-1", user_id: null, received_at: "2026-11-30T09:00:00.000Z", ...over });
const ndjson = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";

describe("filterLines", () => {
  it("removes the person's events (by user id, or by anonymous id without a user id) and nothing else", () => {
    const mine = [rec({}), rec({ user_id: "u-1" }), rec({ anonymous_id: "other-device", user_id: "u-1" })];
    const others = [
      rec({ user_id: "u-2" }), // another user on the person's browser (shared device)
      rec({ anonymous_id: "a-2" }),
      rec({ site: "shop" }),
      rec({ received_at: "2026-11-30T10:00:00.001Z" }), // after the erasure: a new profile
    ];
    const text = ndjson([others[0], mine[0], others[1], mine[1], others[2], mine[2], others[3]]) + "not json\n";
    const f = filterLines("events", text, [del]);
    expect(f.removed.get(del.key)).toBe(3);
    expect(f.kept).toBe(5);
    expect(f.text).toBe(ndjson(others) + "not json\n"); // byte for byte, in order
    // Deterministic: filtering the result again removes nothing and changes nothing.
    expect(filterLines("events", f.text, [del])).toEqual({ text: f.text, kept: 5, removed: new Map() });
  });

  it("finds rejected rows by their ids, or by the raw JSON when they carry none", () => {
    const rows = [
      { site: "demo", received_at: "2026-11-30T09:00:00.000Z", reason: "invalid_event", index: 0, id: "x", errors: [], raw: "{}", anonymous_id: "a-1", user_id: null },
      { site: "demo", received_at: "2026-11-30T09:00:00.000Z", reason: "invalid_envelope", index: null, id: null, errors: [], raw: '{"site":"demo","anonymous_id":"a-1","sent_at":1}' },
      { site: "demo", received_at: "2026-11-30T09:00:00.000Z", reason: "invalid_event", index: 1, id: "y", errors: [], raw: '{"anonymousId":"a-1x"}' },
    ];
    const f = filterLines("rejected", ndjson(rows), [del]);
    expect(f.removed.get(del.key)).toBe(2);
    expect(f.text).toBe(ndjson([rows[2]]));
  });

  it("takes the person's records out of dead letters, dropping a line only when nothing is left in it", () => {
    const other = rec({ anonymous_id: "a-9" });
    const lines = [
      { message_id: "m1", body: { v: 1, chunk: "c1", site: "demo", records: [rec({})] } },
      { message_id: "m2", body: { v: 1, chunk: "c2", site: "demo", records: [rec({}), other] } },
      { message_id: "m3", body: { v: 1, kind: "stats", chunk: "c3", site: "demo", records: [] } },
    ];
    const f = filterLines("deadletter", ndjson(lines), [del]);
    expect(f.removed.get(del.key)).toBe(2);
    expect(f.text).toBe(ndjson([{ ...lines[1], body: { ...lines[1]!.body, records: [other] } }, lines[2]]));
  });
});

describe("deletionsFor", () => {
  it("skips partitions that start after the erasure (events received later), not dead letters", () => {
    expect(deletionsFor("events/site=demo/dt=2026-11-30/hr=09/x.ndjson.gz", "events", [del])).toEqual([del]);
    expect(deletionsFor("events/site=demo/dt=2026-11-30/hr=10/x.ndjson.gz", "events", [del])).toEqual([del]); // the hour it happened in
    expect(deletionsFor("events/site=demo/dt=2026-11-30/hr=11/x.ndjson.gz", "events", [del])).toEqual([]);
    expect(deletionsFor("deadletter/queue=q/dt=2026-12-30/hr=10/x.ndjson.gz", "deadletter", [del])).toEqual([del]);
  });
});
