/** The manifest's rules: who may start a generation, commit it, put its object; keys and batches. */
import { describe, expect, it } from "vitest";
import { COMPACT_LEASE_MS, decideBegin, generationName, mayCommit, mayPut, parquetKey, partitionOfKey, pickBatch, PUT_DEADLINE_MS } from "./compaction-plan";

const T = 1_900_000_000_000;

describe("compaction plan", () => {
  it("gives the next generation to a run when nobody holds the lease", () => {
    expect(decideBegin(null, 0, "a", T)).toEqual({ ok: true, generation: 1, since: T });
    expect(decideBegin(null, 4, "a", T)).toEqual({ ok: true, generation: 5, since: T });
  });
  it("refuses another run while a lease is live, and lets it take over the same generation after it ran out", () => {
    const lease = { run: "a", generation: 3, since: T };
    expect(decideBegin(lease, 2, "b", T + COMPACT_LEASE_MS - 1)).toEqual({ ok: false, busy_until: T + COMPACT_LEASE_MS });
    // A crashed run's generation number is reused: its object (if any) is overwritten at the same key.
    expect(decideBegin(lease, 2, "b", T + COMPACT_LEASE_MS)).toEqual({ ok: true, generation: 3, since: T + COMPACT_LEASE_MS });
    expect(decideBegin(lease, 2, "a", T + 5)).toEqual({ ok: true, generation: 3, since: T });
  });
  it("accepts a commit only from the lease holder for its generation", () => {
    const lease = { run: "a", generation: 3, since: T };
    expect(mayCommit(lease, "a", 3)).toBe(true);
    expect(mayCommit(lease, "b", 3)).toBe(false);
    expect(mayCommit(lease, "a", 4)).toBe(false);
    expect(mayCommit(null, "a", 3)).toBe(false);
  });
  it("stops a run from putting late enough that a successor could hold the lease", () => {
    expect(mayPut(T, T + PUT_DEADLINE_MS - 1)).toBe(true);
    expect(mayPut(T, T + PUT_DEADLINE_MS)).toBe(false);
    expect(PUT_DEADLINE_MS).toBeLessThan(COMPACT_LEASE_MS);
  });
  it("names generations so that key order is generation order", () => {
    expect(generationName(7)).toBe("000007");
    const p = { site: "demo", dt: "2031-05-06", hr: "07" };
    expect(parquetKey(p, 12)).toBe("parquet/site=demo/dt=2031-05-06/hr=07/000012.parquet");
    expect(partitionOfKey("events/site=demo/dt=2031-05-06/hr=07/x.ndjson.gz")).toEqual(p);
    expect(partitionOfKey(parquetKey(p, 1))).toEqual(p);
    expect(partitionOfKey("deletions/site=demo/dt=2031-05-06/x.json")).toBeNull();
  });
  it("batches uncovered objects oldest first, capped, at least one", () => {
    expect(pickBatch(["c", "a", "b"], 2)).toEqual(["a", "b"]);
    expect(pickBatch(["c", "a"], 0)).toEqual(["a"]);
  });
});
