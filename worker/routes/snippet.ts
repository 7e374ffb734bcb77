/**
 * GET /snippet.js and GET /snippet.<hash>.js — the browser snippet, first-party from the collector.
 *
 * /snippet.js is the one-line embed's URL: short cache (5 min, then revalidated with the ETag,
 * stale-while-revalidate for a day), so a deploy reaches every page within minutes.
 * /snippet.<hash>.js is immutable (one year): for pages that pin a version, e.g. with SRI.
 * A hash that is not the current build redirects to /snippet.js (that version is gone).
 * The source is built by client-snippet/build.mjs into worker/generated/snippet.ts.
 * The dataLayer bridge add-on is served the same way at /datalayer.js and /datalayer.<hash>.js
 * (worker/generated/datalayer.ts).
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { DATALAYER, DATALAYER_HASH } from "../generated/datalayer";
import { SNIPPET, SNIPPET_HASH } from "../generated/snippet";

export const snippet = new Hono<{ Bindings: Env }>();

function serve(c: Context, cacheControl: string, body = SNIPPET, hash = SNIPPET_HASH): Response {
  const ETAG = `"${hash}"`;
  const headers = {
    "content-type": "text/javascript; charset=utf-8",
    "cache-control": cacheControl,
    etag: ETAG,
    "x-content-type-options": "nosniff",
    // Any page may load it (also with crossorigin + integrity).
    "access-control-allow-origin": "*",
    "cross-origin-resource-policy": "cross-origin",
  };
  const inm = c.req.header("if-none-match");
  if (inm && inm.split(",").some((t) => t.trim().replace(/^W\//, "") === ETAG)) return new Response(null, { status: 304, headers });
  return new Response(body, { headers });
}

snippet.get("/snippet.js", (c) => serve(c, "public, max-age=300, stale-while-revalidate=86400"));
snippet.get("/:file{snippet\\.[0-9a-f]{12}\\.js}", (c) => {
  if (c.req.param("file") !== `snippet.${SNIPPET_HASH}.js`) return c.redirect("/snippet.js", 302);
  return serve(c, "public, max-age=31536000, immutable");
});

snippet.get("/datalayer.js", (c) => serve(c, "public, max-age=300, stale-while-revalidate=86400", DATALAYER, DATALAYER_HASH));
snippet.get("/:file{datalayer\\.[0-9a-f]{12}\\.js}", (c) => {
  if (c.req.param("file") !== `datalayer.${DATALAYER_HASH}.js`) return c.redirect("/datalayer.js", 302);
  return serve(c, "public, max-age=31536000, immutable", DATALAYER, DATALAYER_HASH);
});
