import { describe, expect, it } from "vitest";
import { lakeKeyError, listQuery, R2_KEY_MAX_BYTES } from "./read-query";

describe("lakeKeyError", () => {
  it("accepts a key up to R2's 1,024 bytes, counted in UTF-8", () => {
    expect(lakeKeyError("events/dt=2026-11-30/hr=12/a.ndjson.gz")).toBeNull();
    expect(lakeKeyError("a".repeat(R2_KEY_MAX_BYTES))).toBeNull();
    expect(lakeKeyError("é".repeat(512))).toBeNull(); // 1,024 bytes
  });
  it("names `key` when it is empty or longer than R2 allows", () => {
    expect(lakeKeyError("")?.path).toBe("key");
    expect(lakeKeyError("a".repeat(R2_KEY_MAX_BYTES + 1))).toEqual({ path: "key", message: expect.stringContaining("got 1025") });
    expect(lakeKeyError("é".repeat(513))?.message).toContain("got 1026");
    expect(lakeKeyError("events/" + "a".repeat(2049))?.path).toBe("key");
  });
});

describe("listQuery", () => {
  it("defaults to everything, 1,000 a page", () => {
    expect(listQuery({})).toEqual({ prefix: "", cursor: undefined, limit: 1000 });
    expect(listQuery({ prefix: "events/", cursor: "c1", limit: "5" })).toEqual({ prefix: "events/", cursor: "c1", limit: 5 });
    expect(listQuery({ cursor: "" })).toEqual({ prefix: "", cursor: undefined, limit: 1000 });
  });
  it("names each bad field instead of guessing", () => {
    for (const limit of ["0", "1001", "1.5", "abc", "", " ", "1e400", "-1", "NaN"]) expect(listQuery({ limit }), limit).toEqual([{ path: "limit", message: expect.any(String) }]);
    expect(listQuery({ prefix: "a".repeat(1025), limit: "x" })).toEqual([expect.objectContaining({ path: "prefix" }), expect.objectContaining({ path: "limit" })]);
  });
});
