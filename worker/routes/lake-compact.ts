/**
 * POST /v1/admin/lake/compact {"site","dt":"YYYY-MM-DD","hr":"HH"}: compacts that partition's
 * NDJSON into its next Parquet generation now (the hourly job runs the same code; open hours
 * too, later events go to a later generation). Answers {"generation","objects","events",...}.
 */
import { Hono } from "hono";
import { strictObject, string } from "zod";
import type { Env } from "../env";
import { compactPartition, PartitionBusy } from "../lake/compact";
import { hourStart } from "../lake/schedule";
import { toFieldErrors } from "../lib/validate";
import { adminAuth } from "../middleware/admin-auth";
import { sites } from "../sites";

export const compactBody = strictObject({
  site: string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "expected a site id"),
  dt: string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected a UTC day as YYYY-MM-DD"),
  hr: string().regex(/^([01]\d|2[0-3])$/, "expected a UTC hour as HH (00-23)"),
});

export const lakeCompact = new Hono<{ Bindings: Env }>();

lakeCompact.use("*", adminAuth);

lakeCompact.post("/", async (c) => {
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    return c.json({ error: "body is not JSON", details: [{ path: "(body)", message: 'expected {"site","dt","hr"}' }] }, 400);
  }
  const parsed = compactBody.safeParse(body);
  if (!parsed.success) return c.json({ error: "invalid compaction request", details: toFieldErrors(parsed.error.issues) }, 400);
  const p = parsed.data;
  const start = hourStart(p);
  if (Number.isNaN(start)) return c.json({ error: "invalid compaction request", details: [{ path: "dt", message: "no such day" }] }, 400);
  if (start > Date.now()) return c.json({ error: "invalid compaction request", details: [{ path: "hr", message: "that hour has not started" }] }, 400);
  if (!sites(c.env).get(p.site)) return c.json({ error: "unknown site", details: [{ path: "site", message: `no site "${p.site}" is configured` }] }, 404);
  try {
    return c.json(await compactPartition(c.env, p));
  } catch (e) {
    if (!(e instanceof PartitionBusy)) throw e;
    c.header("Retry-After", String(Math.max(1, Math.ceil((e.busyUntil - Date.now()) / 1000))));
    return c.json({ error: "busy", details: [{ path: "site", message: e.message }] }, 409);
  }
});
