/**
 * GET     /v1/recommendations/:site/:id?limit=&context=&category=&exclude=&cart=include
 * POST    /v1/recommendations/:site/:id  {"candidates": [...]}: those products, ordered for the person
 * OPTIONS /v1/recommendations/:site/:id  preflight of a visitor's POST (allowed origins only)
 * Who may call (worker/access/table.ts): the admin token, the site's read keys, and a page of
 * the site for its own visitor (whose answer is cut to visitorView). The work is recommend().
 */
import { Hono, type Context } from "hono";
import { access, accessPreflight, visitorDenied, visitorView } from "../access";
import { refuse, unknownSite } from "../answers";
import { parseJson, readLimitedText } from "../lib/body";
import { sites } from "../sites";
import { parseCandidates, parseRecQuery, type RecOptions } from "../recs/query";
import { recommendFor, waitUntilOf } from "../recs/recommend";

export const recommendations = new Hono<{ Bindings: Env }>();

type C = Context<{ Bindings: Env }>;

/** :site and :id checked, or the answer naming what is wrong. */
function target(c: C): { site: string; id: string } | Response {
  const { site, id } = c.req.param() as { site: string; id: string };
  if (!sites(c.env).get(site)) return unknownSite(c, site, "read");
  if (id.length > 128) return refuse(c, 400, "bad_request", "id is longer than 128 characters", [{ path: "id", message: "at most 128 characters" }]);
  return { site, id };
}

async function answer(c: C, site: string, id: string, opts: RecOptions): Promise<Response> {
  const { recommendations: out, userId } = await recommendFor(c.env, site, id, opts, undefined, waitUntilOf(c));
  const denied = visitorDenied(c, userId);
  if (denied) return denied;
  return c.json(c.get("principal")?.kind === "visitor" ? visitorView({ ...out }) : out);
}

recommendations.options("/:site/:id", access("recommendations.preflight"), accessPreflight("recommendations.read"));

recommendations.get("/:site/:id", access("recommendations.read"), async (c) => {
  const t = target(c);
  if (t instanceof Response) return t;
  const q = parseRecQuery(new URL(c.req.url).searchParams);
  if (!q.ok) return refuse(c, 400, "bad_request", "invalid query", q.details);
  return answer(c, t.site, t.id, q.value);
});

recommendations.post("/:site/:id", access("recommendations.read"), async (c) => {
  const t = target(c);
  if (t instanceof Response) return t;
  const body = await readLimitedText(c.req.raw, 64 * 1024);
  if (!body.ok) return refuse(c, body.status, body.status === 413 ? "too_large" : body.status === 415 ? "unsupported_media_type" : "bad_request", body.error, [{ path: "(body)", message: body.error }]);
  const json = parseJson(body.text);
  if (!json.ok) return refuse(c, 400, "not_json", json.error, [{ path: "(body)", message: json.error }]);
  const cand = parseCandidates(json.value);
  if (!cand.ok) return refuse(c, 400, "bad_request", "invalid body", cand.details);
  const q = parseRecQuery(new URL(c.req.url).searchParams, cand.value);
  if (!q.ok) return refuse(c, 400, "bad_request", "invalid query", q.details);
  return answer(c, t.site, t.id, q.value);
});
