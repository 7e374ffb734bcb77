/**
 * The lake, for operators (admin token):
 *   GET  /v1/admin/lake?prefix=     list objects          GET /v1/admin/lake/<key>   read one
 *   POST /v1/admin/lake/purge       apply erasures now    POST /v1/admin/lake/replay replay dead letters
 * (POST /v1/admin/lake/compact is routes/lake-compact.ts.)
 */
import { Hono } from "hono";
import { PurgeBusy, runPurge } from "../lake/purge";
import { checkReplayPrefix, replayDeadLetters } from "../lake/replay";
import { refuse } from "../answers";
import { gunzip } from "../lib/lake";
import { access } from "../access";
import { lakeKeyError, listQuery } from "../lake/read-query";

export const lake = new Hono<{ Bindings: Env }>();

/** A JSON array of {key, size, uploaded}; more pages via X-Cursor and ?cursor=. */
lake.get("/", access("lake.read"), async (c) => {
  const q = listQuery({ prefix: c.req.query("prefix"), cursor: c.req.query("cursor"), limit: c.req.query("limit") });
  if (Array.isArray(q)) return refuse(c, 400, "bad_request", "invalid query", q);
  const { prefix, cursor, limit } = q;
  const list = await c.env.LAKE.list({ prefix, cursor, limit });
  if (list.truncated) c.header("X-Cursor", list.cursor);
  c.header("X-Truncated", String(list.truncated));
  return c.json(list.objects.map((o) => ({ key: o.key, size: o.size, uploaded: o.uploaded.toISOString() })));
});

/** Applies pending deletion records to the lake now: the same run as the purge Cron Trigger. */
lake.post("/purge", access("lake.write"), async (c) => {
  try {
    return c.json(await runPurge(c.env));
  } catch (e) {
    if (!(e instanceof PurgeBusy)) throw e;
    c.header("Retry-After", "60");
    return c.json({ error: "busy", details: [{ path: "(lake)", message: `${e.message}; try again when it ends` }] }, 409);
  }
});

/** Puts dead letters back on the events queue: {"prefix": "deadletter/..."} (or ?prefix=). */
lake.post("/replay", access("lake.write"), async (c) => {
  let prefix: unknown = c.req.query("prefix");
  if (prefix === undefined) {
    const body = (await c.req.json().catch(() => null)) as { prefix?: unknown } | null;
    prefix = body && typeof body === "object" ? body.prefix : undefined;
  }
  const bad = checkReplayPrefix(prefix);
  if (bad) return refuse(c, 400, "bad_request", "invalid replay", [{ path: "prefix", message: bad }]);
  return c.json(await replayDeadLetters(c.env, prefix as string));
});

lake.get("/:key{.+}", access("lake.read"), async (c) => {
  const key = c.req.param("key");
  const bad = lakeKeyError(key);
  if (bad) return refuse(c, 400, "bad_request", "invalid key", [bad]);
  const obj = await c.env.LAKE.get(key);
  if (!obj) return c.json({ error: "no such object", key }, 404);
  // ?raw=1: the bytes as stored (gzip), e.g. to read with DuckDB.
  if (!key.endsWith(".gz") || c.req.query("raw") === "1") return new Response(obj.body, { headers: { "content-type": obj.httpMetadata?.contentType ?? "application/octet-stream" } });
  return c.body(await gunzip(obj.body), 200, { "content-type": "application/x-ndjson; charset=utf-8" });
});
