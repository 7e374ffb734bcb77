/**
 * GET /demo (and /demo/* for the demo's client-side routes): a small retail page wired with
 * the snippet and its add-ons, showing the visitor's live recommendations. Answered only when
 * a site "demo" is configured (it is in wrangler.toml for local development; remove it in
 * production). The page is client-snippet/demo/index.html, built into worker/generated/demo.ts.
 */
import { Hono } from "hono";
import { DEMO_HTML } from "../generated/demo";
import { EXTRAS_HASH } from "../generated/extras";
import { PERSONALIZE_HASH } from "../generated/personalize";
import { SNIPPET_HASH } from "../generated/snippet";
import { PRODUCTS } from "../demo/shop";
import { sites } from "../sites";

export const demo = new Hono<{ Bindings: Env }>();

// The page loads the versioned (immutable) URLs of this very build.
const html = DEMO_HTML.replace('src="/snippet.js"', `src="/snippet.${SNIPPET_HASH}.js"`)
  .replace('src="/extras.js"', `src="/extras.${EXTRAS_HASH}.js"`)
  .replace('src="/personalize.js"', `src="/personalize.${PERSONALIZE_HASH}.js"`)
  .replace("/*PRODUCTS*/[]/*END*/", JSON.stringify(PRODUCTS).replaceAll("<", "\\u003c"));

demo.get("/*", (c) => {
  if (!sites(c.env).get("demo")) return c.json({ error: "not found" }, 404);
  return c.html(html, 200, { "cache-control": "no-store" });
});
