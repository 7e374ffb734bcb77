/** GET /personalize.js and /extras.js: the add-ons are served like the snippet, each with its own build, hash and budget. */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { EXTRAS, EXTRAS_GZIP_BYTES, EXTRAS_HASH } from "../worker/generated/extras";
import { PERSONALIZE, PERSONALIZE_GZIP_BYTES, PERSONALIZE_HASH } from "../worker/generated/personalize";
import { SNIPPET_HASH } from "../worker/generated/snippet";
import { get } from "./helpers";

const ADDONS = [
  { name: "personalize", body: PERSONALIZE, hash: PERSONALIZE_HASH, gzip: PERSONALIZE_GZIP_BYTES, budget: 1536, marker: "/v1/recommendations/" },
  { name: "extras", body: EXTRAS, hash: EXTRAS_HASH, gzip: EXTRAS_GZIP_BYTES, budget: 768, marker: "form_submit" },
];

describe.each(ADDONS)("GET /$name.js", ({ name, body, hash, gzip, budget, marker }) => {
  it("serves its own build with a short cache and its own ETag, within its budget", async () => {
    const r = await get(`/${name}.js`, {});
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(r.headers.get("cache-control")).toBe("public, max-age=300, stale-while-revalidate=86400");
    expect(r.headers.get("etag")).toBe(`"${hash}"`);
    const text = await r.text();
    expect(text).toBe(body);
    expect(text).toContain(marker);
    expect(hash).not.toBe(SNIPPET_HASH);
    expect(gzip).toBeLessThanOrEqual(budget);
    expect((await get(`/${name}.js`, { "if-none-match": `"${hash}"` })).status).toBe(304);
  });

  it("serves its versioned URL as immutable and redirects an old version", async () => {
    const r = await get(`/${name}.${hash}.js`, {});
    expect(r.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await r.text()).toBe(body);
    const old = await exports.default.fetch(new Request(`https://collector.test/${name}.0123456789ab.js`, { redirect: "manual" }));
    expect(old.status).toBe(302);
    expect(old.headers.get("location")).toBe(`/${name}.js`);
  });
});
