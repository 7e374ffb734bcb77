/** GET /v1/admin/lake?prefix=  and  GET /v1/admin/lake/<key>: read the lake without R2 credentials (admin token). */
import { Hono } from "hono";
import { gunzip } from "../lib/lake";
import { access } from "../access";

export const lake = new Hono<{ Bindings: Env }>();

/** A JSON array of {key, size, uploaded}; more pages via X-Cursor and ?cursor=. */
lake.get("/", access("lake.read"), async (c) => {
  const prefix = c.req.query("prefix") ?? "";
  const cursor = c.req.query("cursor") || undefined;
  const limit = Math.min(1000, Math.max(1, Number(c.req.query("limit") ?? 1000) || 1000));
  const list = await c.env.LAKE.list({ prefix, cursor, limit });
  if (list.truncated) c.header("X-Cursor", list.cursor);
  c.header("X-Truncated", String(list.truncated));
  return c.json(list.objects.map((o) => ({ key: o.key, size: o.size, uploaded: o.uploaded.toISOString() })));
});

lake.get("/:key{.+}", access("lake.read"), async (c) => {
  const key = c.req.param("key");
  const obj = await c.env.LAKE.get(key);
  if (!obj) return c.json({ error: "no such object", key }, 404);
  // ?raw=1: the bytes as stored (gzip), e.g. to read with DuckDB.
  if (!key.endsWith(".gz") || c.req.query("raw") === "1") return new Response(obj.body, { headers: { "content-type": obj.httpMetadata?.contentType ?? "application/octet-stream" } });
  return c.body(await gunzip(obj.body), 200, { "content-type": "application/x-ndjson; charset=utf-8" });
});
