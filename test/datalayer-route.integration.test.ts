import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DATALAYER, DATALAYER_GZIP_BYTES, DATALAYER_HASH } from "../worker/generated/datalayer";
import { SNIPPET, SNIPPET_HASH } from "../worker/generated/snippet";
import { get } from "./helpers";

describe("GET /datalayer.js (the dataLayer bridge add-on)", () => {
  it("serves the built bridge with a short cache and its own ETag", async () => {
    const r = await get("/datalayer.js", {});
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(r.headers.get("cache-control")).toBe("public, max-age=300, stale-while-revalidate=86400");
    expect(r.headers.get("etag")).toBe(`"${DATALAYER_HASH}"`);
    expect(r.headers.get("access-control-allow-origin")).toBe("*");
    const body = await r.text();
    expect(body).toBe(DATALAYER);
    expect(body).not.toBe(SNIPPET);
    expect(DATALAYER_HASH).not.toBe(SNIPPET_HASH);
    expect(body).toContain("dataLayer");
    expect(DATALAYER_GZIP_BYTES).toBeLessThanOrEqual(1280);
  });

  it("answers 304 to its ETag, not to the snippet's", async () => {
    expect((await get("/datalayer.js", { "if-none-match": `"${DATALAYER_HASH}"` })).status).toBe(304);
    expect((await get("/datalayer.js", { "if-none-match": `"${SNIPPET_HASH}"` })).status).toBe(200);
  });

  it("serves the versioned URL as immutable and redirects an old version to /datalayer.js", async () => {
    const r = await get(`/datalayer.${DATALAYER_HASH}.js`, {});
    expect(r.status).toBe(200);
    expect(r.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await r.text()).toBe(DATALAYER);
    const old = await exports.default.fetch(new Request("https://collector.test/datalayer.0123456789ab.js", { redirect: "manual" }));
    expect(old.status).toBe(302);
    expect(old.headers.get("location")).toBe("/datalayer.js");
    // The snippet's versioned URL is unaffected.
    expect(await (await get(`/snippet.${SNIPPET_HASH}.js`, {})).text()).toBe(SNIPPET);
  });
});
