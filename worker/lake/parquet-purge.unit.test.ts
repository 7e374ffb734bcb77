/** Purging a Parquet generation: the person's rows go, every other row stays as it was, deterministically. */
import { describe, expect, it } from "vitest";
import { everyType } from "../../test/lake-fixtures";
import { readParquet } from "../../test/parquet-read";
import type { Deletion } from "./erasure-filter";
import { toParquet } from "./parquet";
import { filterParquet } from "./parquet-purge";

const buffer = (u: Uint8Array) => u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;
const del: Deletion = { key: "deletions/site=demo/dt=2031-05-06/u-1-x.json", record: { type: "erasure", site: "demo", id: "u-1", user_id: "u-1", anonymous_ids: ["a-erased"], requested_at: "2031-05-06T08:00:00.000Z" } };

describe("filterParquet", () => {
  it("drops the erased person's rows and keeps every other row, value for value, in order", async () => {
    // Every event type twice: once by the erased person (user u-1 or anonymous a-erased), once by someone else.
    const erased = everyType("2031-05-06T07:00:00.000Z", { anonymous_id: "a-erased" });
    const others = everyType("2031-05-06T07:10:00.000Z", { anonymous_id: "a-other", user_id: "u-2", identity: "asserted" });
    const mixed = [...erased, ...others].sort((a, b) => (a.ts < b.ts ? -1 : 1));
    const original = toParquet(mixed, { metadata: { "edge-collector.generation": "000001" } });
    const before = await readParquet(buffer(original));

    const f = await filterParquet(original, [del]);
    expect(f.removed.get(del.key)).toBe(erased.length);
    expect(f.kept).toBe(others.length);
    const after = await readParquet(buffer(f.bytes!));
    expect(after).toEqual(before.filter((r) => r.anonymous_id === "a-other"));

    // Deterministic, and nothing more to remove the second time.
    expect((await filterParquet(original, [del])).bytes).toEqual(f.bytes);
    expect(await filterParquet(f.bytes!, [del])).toMatchObject({ bytes: null, kept: others.length, removed: new Map() });
  });

  it("keeps rows received after the erasure and another user's rows on the person's browser", async () => {
    const later = everyType("2031-05-06T08:00:01.000Z", { anonymous_id: "a-erased", user_id: null, identity: "none" });
    const shared = everyType("2031-05-06T07:00:00.000Z", { anonymous_id: "a-erased", user_id: "u-3", identity: "asserted" });
    const f = await filterParquet(toParquet([...shared, ...later]), [del]);
    expect(f).toMatchObject({ bytes: null, removed: new Map() });
  });
});
