/**
 * POST /v1/m: analytics.js's own telemetry (lib/sdk-metrics.ts). It carries no key, so it is
 * rate limited per client IP (hashed, never stored), counted as `sdk_metrics` in the metrics
 * of the one site that allows the request's Origin (else under "_unknown"), and nothing else
 * of it is kept. Answers 200 {"counted": n}; 400 naming the field; 429 over the IP limit.
 */
import { Hono } from "hono";
import { bump } from "../../durable-objects/lib/metric-tree";
import { refuse } from "../answers";
import { parseJson, readLimitedText } from "../lib/body";
import { parseSdkMetrics, SDK_METRICS_MAX_BYTES } from "../lib/sdk-metrics";
import { isolateDelta, scheduleIsolateFlush } from "../metrics/isolate";
import { siteCors } from "../middleware/cors";
import { UNATTRIBUTED } from "../middleware/observe";
import { limitByIp, tooMany } from "../middleware/rate-limit";
import { sites } from "../sites";

export const sdkMetrics = new Hono<{ Bindings: Env }>();

sdkMetrics.use("/", siteCors({ methods: ["POST", "OPTIONS"], headers: ["Content-Type"] }));
sdkMetrics.post("/", async (c) => {
  const byIp = await limitByIp(c.env, c.req.raw);
  if (byIp) return tooMany(c, byIp);
  const body = await readLimitedText(c.req.raw, SDK_METRICS_MAX_BYTES);
  if (!body.ok) return refuse(c, body.status, body.status === 413 ? "too_large" : body.status === 415 ? "unsupported_media_type" : "bad_request", body.error, [{ path: "(body)", message: body.error }]);
  const json = parseJson(body.text);
  if (!json.ok) return refuse(c, 400, "not_json", json.error, [{ path: "(body)", message: json.error }]);
  const m = parseSdkMetrics(json.value);
  if (!m.ok) return refuse(c, 400, "bad_request", "invalid metrics", m.details);

  const origin = c.req.header("origin");
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
