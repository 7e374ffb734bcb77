/**
 * The browser scripts, first-party from the collector: GET /<name>.js and /<name>.<hash>.js for
 * the core snippet and its add-ons (dataLayer bridge, extras, personalize).
 *
 * /<name>.js is the embed's URL: short cache (5 min, then revalidated with the ETag,
 * stale-while-revalidate for a day), so a deploy reaches every page within minutes.
 * /<name>.<hash>.js is immutable (one year): for pages that pin a version, e.g. with SRI.
 * A hash that is not the current build redirects to /<name>.js (that version is gone).
 * The sources are built by client-snippet/build.mjs into worker/generated/<name>.ts.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { DATALAYER, DATALAYER_HASH } from "../generated/datalayer";
import { EXTRAS, EXTRAS_HASH } from "../generated/extras";
import { PERSONALIZE, PERSONALIZE_HASH } from "../generated/personalize";
import { SNIPPET, SNIPPET_HASH } from "../generated/snippet";

export const snippet = new Hono<{ Bindings: Env }>();

/** name -> [source, hash] */
const SCRIPTS: Record<string, [string, string]> = {
  snippet: [SNIPPET, SNIPPET_HASH],
  datalayer: [DATALAYER, DATALAYER_HASH],
  extras: [EXTRAS, EXTRAS_HASH],
  personalize: [PERSONALIZE, PERSONALIZE_HASH],
};

function serve(c: Context, cacheControl: string, body: string, hash: string): Response {
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

for (const [name, [body, hash]] of Object.entries(SCRIPTS)) {
  snippet.get(`/${name}.js`, (c) => serve(c, "public, max-age=300, stale-while-revalidate=86400", body, hash));
  snippet.get(`/:file{${name}\\.[0-9a-f]{12}\\.js}`, (c) => {
    if (c.req.param("file") !== `${name}.${hash}.js`) return c.redirect(`/${name}.js`, 302);
    return serve(c, "public, max-age=31536000, immutable", body, hash);
  });
}
