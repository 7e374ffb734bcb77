/** The Hono app: routes only; each route lives in its own small module. */
import { Hono } from "hono";
import { log } from "../durable-objects/lib/log";
import { requestLog } from "./middleware/observe";
import { catalog } from "./routes/catalog";
import { collect } from "./routes/collect";
import { demo } from "./routes/demo";
import { dashboard } from "./routes/dashboard";
import { lake } from "./routes/lake";
import { lakeCompact } from "./routes/lake-compact";
import { profiles } from "./routes/profiles";
import { recommendations } from "./routes/recommendations";
import { recommendationStream } from "./routes/recommendation-stream";
import { schemas } from "./routes/schemas";
import { sdkConfig } from "./routes/sdk-config";
import { sdkMetrics } from "./routes/sdk-metrics";
import { segment } from "./routes/segment";
import { snippet } from "./routes/snippet";
import { stats } from "./routes/stats";

export const app = new Hono<{ Bindings: Env }>();

app.use("*", requestLog); // one JSON log line per request; ingest metrics (middleware/observe.ts)

app.get("/", (c) => c.json({ name: "edge-collector", collect: "POST /v1/collect" }));
app.route("/v1/collect", collect);
app.route("/v1/profiles", profiles);
app.route("/v1/recommendations", recommendations);
app.route("/v1/recommendations", recommendationStream); // GET /:site/:id/stream (SSE, recs/live.ts)
app.route("/v1/catalog", catalog);
app.route("/v1/admin/lake/compact", lakeCompact); // POST: Parquet now (lake/compact.ts)
app.route("/v1/admin/lake", lake);
app.route("/v1/schemas", schemas);
app.route("/v1/admin", stats); // /v1/admin/stats[/:site], /v1/admin/tail/:site
app.route("/admin", dashboard);
app.route("/v1/m", sdkMetrics); // analytics.js telemetry, no key
app.route("/", sdkConfig); // SDK settings: /v1/projects/:writeKey/settings (Segment), /sourceConfig/ (RudderStack)
app.route("/beacon/v1", segment); // RudderStack's useBeacon transport: /beacon/v1/batch?writeKey=
app.route("/v1", segment); // Segment-compatible: /v1/batch, /v1/track, /v1/page, /v1/screen, /v1/identify, /v1/alias, /v1/group and analytics.js's /v1/b|t|p|s|i|a|g
app.route("/", snippet);
app.route("/demo", demo);

app.notFound((c) => c.json({ error: "not found", details: [{ path: "(url)", message: `no route for ${c.req.method} ${new URL(c.req.url).pathname.slice(0, 100)}` }] }, 404));
app.onError((err, c) => {
  // No payloads, no headers: only what failed and where.
  log("unhandled error", { route: c.req.routePath, error: err.message });
  return c.json({ error: "internal error" }, 500);
});
