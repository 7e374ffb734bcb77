/** The Hono app: routes only; each route lives in its own small module. */
import { Hono } from "hono";
import type { Env } from "./env";
import { collect } from "./routes/collect";
import { lake } from "./routes/lake";
import { profiles } from "./routes/profiles";
import { schemas } from "./routes/schemas";
import { segment } from "./routes/segment";

export const app = new Hono<{ Bindings: Env }>();

app.get("/", (c) => c.json({ name: "edge-collector", collect: "POST /v1/collect" }));
app.route("/v1/collect", collect);
app.route("/v1/profiles", profiles);
app.route("/v1/admin/lake", lake);
app.route("/v1/schemas", schemas);
app.route("/v1", segment); // Segment-compatible: /v1/batch, /v1/track, /v1/page, /v1/screen, /v1/identify, /v1/alias, /v1/group

app.notFound((c) => c.json({ error: "not found", details: [{ path: "(url)", message: `no route for ${c.req.method} ${new URL(c.req.url).pathname.slice(0, 100)}` }] }, 404));
app.onError((err, c) => {
  // No payloads, no headers: only what failed and where.
  console.log(JSON.stringify({ msg: "unhandled error", route: c.req.routePath, error: err.message }));
  return c.json({ error: "internal error" }, 500);
});
