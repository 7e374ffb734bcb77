import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SNIPPET, SNIPPET_GZIP_BYTES, SNIPPET_HASH } from "../worker/generated/snippet";
import { get } from "./helpers";

describe("GET /snippet.js", () => {
  it("serves the built snippet with a short cache and an ETag", async () => {
    const r = await get("/snippet.js", {});
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(r.headers.get("cache-control")).toBe("public, max-age=300, stale-while-revalidate=86400");
    expect(r.headers.get("etag")).toBe(`"${SNIPPET_HASH}"`);
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    const body = await r.text();
    expect(body).toBe(SNIPPET);
    expect(body.length).toBeGreaterThan(1000);
    expect(SNIPPET_GZIP_BYTES).toBeLessThanOrEqual(3072);
  });

  it("answers 304 to a matching If-None-Match", async () => {
    const r = await get("/snippet.js", { "if-none-match": `W/"x", "${SNIPPET_HASH}"` });
    expect(r.status).toBe(304);
    expect(await r.text()).toBe("");
    expect((await get("/snippet.js", { "if-none-match": '"other"' })).status).toBe(200);
  });

  it("serves the versioned URL as immutable and redirects an old version to /snippet.js", async () => {
    const r = await get(`/snippet.${SNIPPET_HASH}.js`, {});
    expect(r.status).toBe(200);
    expect(r.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await r.text()).toBe(SNIPPET);
    const old = await exports.default.fetch(new Request("https://collector.test/snippet.0123456789ab.js", { redirect: "manual" }));
    expect(old.status).toBe(302);
    expect(old.headers.get("location")).toBe("/snippet.js");
  });
});

describe("GET /demo", () => {
  it("serves the demo page wired with the versioned snippet, also for its client-side routes", async () => {
    for (const path of ["/demo", "/demo/p/sku-1"]) {
      const r = await get(path, {});
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toMatch(/^text\/html/);
      const html = await r.text();
      expect(html).toContain(`<script async src="/snippet.${SNIPPET_HASH}.js" data-site="demo"></script>`);
      expect(html).toContain('class="product-thumbnail"');
    }
  });
});
