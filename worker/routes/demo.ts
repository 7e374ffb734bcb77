/**
 * GET /demo (and /demo/* for the demo's client-side routes): a small retail page wired with
 * the snippet and its add-ons (no key in the page), showing the visitor's live
 * recommendations. Answered only when a site "demo" is configured (it is in wrangler.toml for
 * local development; remove it in production). The page is client-snippet/demo/index.html,
 * built into worker/generated/demo.ts; its products come from worker/demo/shop.ts.
 *
 * GET /demo/api/profile/:id: the demo's own server-side route for the page's profile panel,
 * as a shop's backend would have one: it reads GET /v1/profiles/demo/:id with the site's
 * first read key (`dev-read-key` under `npm run dev`), which never reaches the page.
 */
import { Hono } from "hono";
import { DEMO_HTML } from "../generated/demo";
import { EXTRAS_HASH } from "../generated/extras";
import { PERSONALIZE_HASH } from "../generated/personalize";
import { SNIPPET_HASH } from "../generated/snippet";
import { seedDemo } from "../demo/seed";
import { PRODUCTS } from "../demo/shop";
import { siteSecrets, sites } from "../sites";
import { profiles } from "./profiles";

export const demo = new Hono<{ Bindings: Env }>();

const SITE = "demo";

// The page loads the versioned (immutable) URLs of this very build.
const html = DEMO_HTML.replace('src="/snippet.js"', `src="/snippet.${SNIPPET_HASH}.js"`)
  .replace('src="/extras.js"', `src="/extras.${EXTRAS_HASH}.js"`)
  .replace('src="/personalize.js"', `src="/personalize.${PERSONALIZE_HASH}.js"`)
  .replace("/*PRODUCTS*/[]/*END*/", JSON.stringify(PRODUCTS).replaceAll("<", "\\u003c"));

const notFound = { error: "not found", details: [{ path: "(url)", message: 'the demo is served only while a site "demo" is configured' }] };

demo.get("/api/profile/:id", async (c) => {
  if (!sites(c.env).get(SITE)) return c.json(notFound, 404);
  const key = siteSecrets(c.env).get(SITE)?.read_keys?.[0];
  if (!key) return c.json({ error: "the demo has no read key", details: [{ path: "SITE_SECRETS.demo.read_keys", message: "give the demo site a read key to show profiles" }] }, 503);
  const res = await profiles.request(`/${SITE}/${encodeURIComponent(c.req.param("id"))}`, { headers: { authorization: `Bearer ${key}` } }, c.env, c.executionCtx);
  return new Response(res.body, { status: res.status, headers: { "content-type": res.headers.get("content-type") ?? "application/json", "cache-control": "no-store" } });
});

demo.get("/*", (c) => {
  if (!sites(c.env).get(SITE)) return c.json(notFound, 404);
  c.executionCtx.waitUntil(seedDemo(c.env, c.executionCtx, SITE, new URL(c.req.url).origin));
  return c.html(html, 200, { "cache-control": "no-store" });
});
