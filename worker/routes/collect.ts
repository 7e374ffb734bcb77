/** POST /v1/collect: read (64 KiB) -> parse -> site/origin -> validate -> enrich -> user's object -> 202. */
import { Hono } from "hono";
import { MAX_BODY_BYTES } from "../../schemas";
import type { Env } from "../env";
import { readLimitedText, parseJson } from "../lib/body";
import { parseEnvelope } from "../lib/validate";
import { ingest } from "../ingest";
import { keepRejected, rejectedRow } from "../rejections";
import { allowOrigin, collectPreflight } from "../middleware/cors";
import { limitByIp, limitBySite, tooMany } from "../middleware/rate-limit";
import { sites } from "../sites";

export const collect = new Hono<{ Bindings: Env }>();

collect.options("/", collectPreflight);

collect.post("/", async (c) => {
  const receivedMs = Date.now();
  const origin = c.req.header("origin") ?? null;
  const reg = sites(c.env);
  // Let the browser read error answers when the origin belongs to some site.
  if (origin && reg.anyAllows(origin)) allowOrigin(c, origin);

  const byIp = await limitByIp(c.env, c.req.raw);
  if (byIp) return tooMany(c, byIp);

  const body = await readLimitedText(c.req.raw, MAX_BODY_BYTES);
  if (!body.ok) return c.json({ error: body.error, details: [] }, body.status);
  const json = parseJson(body.text);
  if (!json.ok) return c.json({ error: json.error, details: [] }, 400);

  const claimed = (json.value as { site?: unknown } | null)?.site;
  if (typeof claimed === "string" && !reg.get(claimed)) return c.json({ error: "unknown site", details: [{ path: "site", message: `no site "${claimed.slice(0, 64)}" is configured` }] }, 403);
  if (typeof claimed === "string") c.set("site", claimed); // for metrics and the request log

  const defer = (p: Promise<unknown>) => c.executionCtx.waitUntil(p);
  const env = parseEnvelope(json.value);
  if (!env.ok) {
    if (typeof claimed === "string") defer(keepRejected(c.env, claimed, [rejectedRow(claimed, receivedMs, "invalid_envelope", { index: null, id: null, errors: env.details }, body.text, json.value as object)]));
    return c.json({ error: "invalid envelope", details: env.details }, 400);
  }
  const site = reg.get(env.envelope.site)!;
  if (origin && !site.allows(origin)) {
    c.header("Access-Control-Allow-Origin", undefined);
    return c.json({ error: "origin not allowed", details: [{ path: "origin", message: `${origin.slice(0, 120)} may not send to site ${site.id}` }] }, 403);
  }
  const bySite = await limitBySite(c.env, site.id);
  if (bySite) return tooMany(c, bySite);

  const out = await ingest(c.env, env.envelope, { receivedMs, userAgent: c.req.header("user-agent") ?? null, cf: c.req.raw.cf }, { defer });
  if (out.accepted === 0 && out.duplicates === 0 && out.rejected.length > 0) {
    const details = out.rejected.flatMap((r) => r.errors.map((e) => ({ path: `events[${r.index}].${e.path}`, message: e.message })));
    return c.json({ error: "no valid events", details, ...out }, 400);
  }
  return c.json(out, 202);
});
