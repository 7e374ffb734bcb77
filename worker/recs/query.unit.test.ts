import { describe, expect, it } from "vitest";
import { parseCandidates, parseRecQuery } from "./query";

const q = (s: string) => parseRecQuery(new URLSearchParams(s));
const path = (r: ReturnType<typeof q>) => (r.ok ? null : r.details.map((d) => d.path));

describe("parseRecQuery", () => {
  it("has defaults and reads every parameter", () => {
    expect(q("")).toEqual({ ok: true, value: { limit: 10, context: null, category: null, exclude: [], includeCart: false, candidates: null } });
    expect(q("limit=50&context=sku-1&category=shoes&exclude=a,%20b,a&cart=include&utm=ignored")).toEqual({ ok: true, value: { limit: 50, context: "sku-1", category: "shoes", exclude: ["a", "b"], includeCart: true, candidates: null } });
  });
  it.each([
    ["limit=0", "limit"], ["limit=51", "limit"], ["limit=1.5", "limit"], ["limit=", "limit"], ["limit=ten", "limit"], ["limit=-1", "limit"], ["limit=1e1", "limit"],
    ["limit=1&limit=2", "limit"], ["context=", "context"], [`context=${"x".repeat(129)}`, "context"], ["context=%00", "context"],
    ["exclude=a,,b", "exclude"], [`exclude=${Array.from({ length: 101 }, (_, i) => `p${i}`).join(",")}`, "exclude"], ["exclude=%01", "exclude"],
    ["category=", "category"], ["cart=yes", "cart"],
  ])("refuses %s naming %s", (s, name) => {
    expect(path(q(s))).toEqual([name]);
  });
  it("reports every bad parameter at once", () => {
    expect(path(q("limit=0&context=&exclude=,"))).toEqual(["limit", "context", "exclude"]);
  });
  it("defaults the limit of a re-rank to the number of candidates, at most 50", () => {
    expect(parseRecQuery(new URLSearchParams(""), ["a", "b", "c"])).toMatchObject({ ok: true, value: { limit: 3, candidates: ["a", "b", "c"] } });
    expect(parseRecQuery(new URLSearchParams(""), Array.from({ length: 80 }, (_, i) => `p${i}`))).toMatchObject({ ok: true, value: { limit: 50 } });
  });
});

describe("parseCandidates", () => {
  it("takes 1-100 product ids, deduplicated in order", () => {
    expect(parseCandidates({ candidates: ["b", "a", "b"] })).toEqual({ ok: true, value: ["b", "a"] });
  });
  it.each([
    [null, "(root)"], [[], "(root)"], [{}, "candidates"], [{ candidates: [] }, "candidates"], [{ candidates: "a" }, "candidates"],
    [{ candidates: Array.from({ length: 101 }, (_, i) => `p${i}`) }, "candidates"], [{ candidates: ["a", 7] }, "candidates[1]"], [{ candidates: ["a", ""] }, "candidates[1]"],
    [{ candidates: ["a"], limit: 3 }, "limit"],
  ])("refuses %j naming %s", (body, name) => {
    const r = parseCandidates(body);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.details[0]!.path).toBe(name);
  });
});
