/**
 * POST /v1/m: analytics.js's own telemetry (lib/sdk-metrics.ts). It carries no key, so it is
 * rate limited per client IP (hashed, never stored), counted as `sdk_metrics` in the metrics
 * of the one site that allows the request's Origin (else under "_unknown"), and nothing else
 * of it is kept. Answers 200 {"counted": n}; 400 naming the field; 429 over the IP limit.
 */
import { Hono } from "hono";
import type { Env } from "../env";
import { parseJson, readLimitedText } from "../lib/body";
import { parseSdkMetrics, SDK_METRICS_MAX_BYTES } from "../lib/sdk-metrics";
import { isolateDelta, scheduleIsolateFlush } from "../metrics/isolate";
import { bump } from "../metrics/tree";
import { allowOrigin } from "../middleware/cors";
import { UNATTRIBUTED } from "../middleware/observe";
import { limitByIp, tooMany } from "../middleware/rate-limit";
import { sites } from "../sites";

export const sdkMetrics = new Hono<{ Bindings: Env }>();

sdkMetrics.options("/", (c) => {
  const origin = c.req.header("origin");
  if (!origin || !sites(c.env).anyAllows(origin)) return c.json({ error: "origin not allowed", details: [{ path: "origin", message: "no site allows this origin" }] }, 403);
  allowOrigin(c, origin);
  c.header("Access-Control-Allow-Methods", "POST, OPTIONS");
  c.header("Access-Control-Allow-Headers", "Content-Type");
  c.header("Access-Control-Max-Age", "86400");
  return c.body(null, 204);
});

sdkMetrics.post("/", async (c) => {
  const origin = c.req.header("origin") ?? null;
  const reg = sites(c.env);
  if (origin && reg.anyAllows(origin)) allowOrigin(c, origin);
  const byIp = await limitByIp(c.env, c.req.raw);
  if (byIp) return tooMany(c, byIp);
  const body = await readLimitedText(c.req.raw, SDK_METRICS_MAX_BYTES);
  if (!body.ok) return c.json({ error: body.error, details: [{ path: "(body)", message: body.error }] }, body.status);
  const json = parseJson(body.text);
  if (!json.ok) return c.json({ error: json.error, details: [{ path: "(body)", message: json.error }] }, 400);
  const m = parseSdkMetrics(json.value);
  if (!m.ok) return c.json({ error: "invalid metrics", details: m.details }, 400);

  const site = origin ? siteOfOrigin(c.env, origin) : null;
  if (site) c.set("site", site);
  const row = isolateDelta().row(site ?? UNATTRIBUTED, Date.now());
  let counted = 0;
  for (const [name, n] of Object.entries(m.counts)) {
    bump(row, ["sdk_metrics", name], n);
    counted += n;
  }
  scheduleIsolateFlush(c.env, (p) => c.executionCtx.waitUntil(p));
  return c.json({ counted }, 200);
});

let siteIds: { raw: string; ids: string[] } | undefined;

/** The site whose origins include this one, when exactly one does. */
function siteOfOrigin(env: Env, origin: string): string | null {
  if (siteIds?.raw !== env.SITES) siteIds = { raw: env.SITES, ids: Object.keys(JSON.parse(env.SITES ?? "{}") as Record<string, unknown>) };
  const ids = siteIds.ids.filter((id) => sites(env).get(id)?.allows(origin));
  return ids.length === 1 ? ids[0]! : null;
}
