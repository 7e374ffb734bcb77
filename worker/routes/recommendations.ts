/**
 * GET  /v1/recommendations/:site/:id?limit=&context=&category=&exclude=&cart=include
 * POST /v1/recommendations/:site/:id  {"candidates": [...]}: those products, ordered for the person
 * Admin token or one of the site's read keys (worker/access.ts). The work is recommend().
 */
import { Hono, type Context } from "hono";
import type { Env } from "../env";
import { access } from "../access";
import { parseJson, readLimitedText } from "../lib/body";
import { sites } from "../sites";
import { parseCandidates, parseRecQuery } from "../recs/query";
import { recommend } from "../recs/recommend";

export const recommendations = new Hono<{ Bindings: Env }>();

type C = Context<{ Bindings: Env }>;

/** :site and :id checked, or the answer naming what is wrong. */
function target(c: C): { site: string; id: string } | Response {
  const { site, id } = c.req.param() as { site: string; id: string };
  if (!sites(c.env).get(site)) return c.json({ error: "unknown site", details: [{ path: "site", message: `no site "${site.slice(0, 64)}" is configured` }] }, 404);
  if (id.length > 128) return c.json({ error: "id is longer than 128 characters", details: [{ path: "id", message: "at most 128 characters" }] }, 400);
  return { site, id };
}

recommendations.get("/:site/:id", access("recommendations.read"), async (c) => {
  const t = target(c);
  if (t instanceof Response) return t;
  const q = parseRecQuery(new URL(c.req.url).searchParams);
  if (!q.ok) return c.json({ error: "invalid query", details: q.details }, 400);
  return c.json(await recommend(c.env, t.site, t.id, q.value));
});

recommendations.post("/:site/:id", access("recommendations.read"), async (c) => {
  const t = target(c);
  if (t instanceof Response) return t;
  const body = await readLimitedText(c.req.raw, 64 * 1024);
  if (!body.ok) return c.json({ error: body.error, details: [] }, body.status);
  const json = parseJson(body.text);
  if (!json.ok) return c.json({ error: json.error, details: [] }, 400);
  const cand = parseCandidates(json.value);
  if (!cand.ok) return c.json({ error: "invalid body", details: cand.details }, 400);
  const q = parseRecQuery(new URL(c.req.url).searchParams, cand.value);
  if (!q.ok) return c.json({ error: "invalid query", details: q.details }, 400);
  return c.json(await recommend(c.env, t.site, t.id, q.value));
});
