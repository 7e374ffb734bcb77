/**
 * POST /v1/admin/lake/compact {"site","dt":"YYYY-MM-DD","hr":"HH"}: compacts that partition's
 * NDJSON into its next Parquet generation now (the hourly job runs the same code; open hours
 * too, later events go to a later generation). Answers {"generation","objects","events",...}.
 */
import { Hono } from "hono";
import { strictObject, string } from "zod";
import { compactPartition, PartitionBusy } from "../lake/compact";
import { hourStart } from "../lake/schedule";
import { access } from "../access";
import { refuse, unknownSite } from "../answers";
import { toFieldErrors } from "../lib/validate";
import { sites } from "../sites";

export const compactBody = strictObject({
  site: string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "expected a site id"),
  dt: string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected a UTC day as YYYY-MM-DD"),
  hr: string().regex(/^([01]\d|2[0-3])$/, "expected a UTC hour as HH (00-23)"),
});

export const lakeCompact = new Hono<{ Bindings: Env }>();

lakeCompact.post("/", access("lake.write"), async (c) => {
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    return refuse(c, 400, "not_json", "body is not JSON", [{ path: "(body)", message: 'expected {"site","dt","hr"}' }]);
  }
  const parsed = compactBody.safeParse(body);
  if (!parsed.success) return refuse(c, 400, "bad_request", "invalid compaction request", toFieldErrors(parsed.error.issues));
  const p = parsed.data;
  const start = hourStart(p);
  if (Number.isNaN(start)) return refuse(c, 400, "bad_request", "invalid compaction request", [{ path: "dt", message: "no such day" }]);
  if (start > Date.now()) return refuse(c, 400, "bad_request", "invalid compaction request", [{ path: "hr", message: "that hour has not started" }]);
  if (!sites(c.env).get(p.site)) return unknownSite(c, p.site, "write");
  try {
    return c.json(await compactPartition(c.env, p));
  } catch (e) {
    if (!(e instanceof PartitionBusy)) throw e;
    c.header("Retry-After", String(Math.max(1, Math.ceil((e.busyUntil - Date.now()) / 1000))));
    return c.json({ error: "busy", details: [{ path: "site", message: e.message }] }, 409);
  }
});
