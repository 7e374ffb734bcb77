/**
 * The pure part of /personalize.js: which stream a slot opens for which identity. Rendering,
 * streams, impressions and clicks run in Chromium (e2e/personalize.e2e.test.ts).
 */
import { describe, expect, it } from "vitest";
import { streamUrl } from "../src/personalize";

const cfg = { site: "demo", base: "https://collector.example" };

describe("streamUrl", () => {
  it("reads by anonymous id without a signature, even when a user id is known", () => {
    expect(streamUrl(cfg, { anonymous_id: "a1", user_id: "u-1" }, {})).toBe("https://collector.example/v1/recommendations/demo/a1/stream?");
  });

  it("reads by user id with the signature the site's backend made", () => {
    const sig = "ab".repeat(32);
    expect(streamUrl({ ...cfg, sig }, { anonymous_id: "a1", user_id: "u 1/é" }, { limit: 4 })).toBe(`https://collector.example/v1/recommendations/demo/u%201%2F%C3%A9/stream?limit=4&sig=${sig}`);
    // Signed out (ec.reset()): back to the (new) anonymous id, without the signature.
    expect(streamUrl({ ...cfg, sig }, { anonymous_id: "a2" }, {})).toBe("https://collector.example/v1/recommendations/demo/a2/stream?");
  });

  it("passes the slot options that have a value, encoded", () => {
    const url = new URL(streamUrl(cfg, { anonymous_id: "a1" }, { limit: "6", context: "sku-1", category: "shoes & boots", exclude: "sku-2,sku-3" }));
    expect(Object.fromEntries(url.searchParams)).toEqual({ limit: "6", context: "sku-1", category: "shoes & boots", exclude: "sku-2,sku-3" });
    expect(streamUrl(cfg, { anonymous_id: "a1" }, { limit: "", context: undefined })).toMatch(/\/stream\?$/);
  });
});
