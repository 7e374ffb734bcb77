/**
 * Operator reads of the metrics window (admin token):
 *   GET /v1/admin/stats            the sites there are stats for
 *   GET /v1/admin/stats/:site      per-minute series and totals (?minutes=60, up to 1500), lake purge progress
 *   GET /v1/admin/tail/:site       Server-Sent Events: the newest stored events, live
 */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { TailEntry } from "../../durable-objects/site-stats";
import { purgeLedger } from "../lake/purge";
import { hourOfMinute, minuteOf } from "../../durable-objects/lib/metric-tree";
import { statsStub } from "../metrics/report";
import { statsView } from "../metrics/series";
import { mergeInto, type Tree } from "../../durable-objects/lib/metric-tree";
import { access } from "../access";
import { UNATTRIBUTED } from "../middleware/observe";
import { sites } from "../sites";
import { unknownSite } from "../answers";

export const MAX_MINUTES = 1500;
/** A tail stream ends after this long; EventSource-style clients reconnect. */
export const TAIL_STREAM_MS = 5 * 60_000;
export const TAIL_POLL_MS = 1_000;

export const stats = new Hono<{ Bindings: Env }>();

function siteIds(env: Env): string[] {
  return Object.keys(JSON.parse(env.SITES ?? "{}") as Record<string, unknown>).filter((id) => sites(env).get(id));
}
const known = (env: Env, site: string) => site === UNATTRIBUTED || !!sites(env).get(site);

stats.get("/stats", access("stats.read"), (c) => c.json({ sites: siteIds(c.env), unattributed: UNATTRIBUTED }));

stats.get("/stats/:site", access("stats.read"), async (c) => {
  const site = c.req.param("site");
  if (!known(c.env, site)) return unknownSite(c, site, "read");
  const raw = c.req.query("minutes");
  const minutes = raw === undefined ? 60 : Number(raw);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_MINUTES) return c.json({ error: "invalid query", details: [{ path: "minutes", message: `expected an integer from 1 to ${MAX_MINUTES}` }] }, 400);
  const now = minuteOf(Date.now());
  const hours: number[] = [];
  for (let h = hourOfMinute(now - minutes + 1); h <= hourOfMinute(now); h++) hours.push(h);
  const rows: Record<string, Tree> = {};
  for (const part of await Promise.all(hours.map((h) => statsStub(c.env, site, h).rows()))) {
    for (const [m, r] of Object.entries(part)) rows[m] = mergeInto(rows[m] ?? {}, r);
  }
  c.header("Cache-Control", "no-store");
  // The lake purge's progress for this site (erasures applied to the lake, pending ones, the scan in progress).
  const purge = site === UNATTRIBUTED ? null : await purgeLedger(c.env).status(site);
  return c.json({ ...statsView(site, rows, now, minutes), purge });
});

stats.get("/tail/:site", access("tail.read"), async (c) => {
  const site = c.req.param("site");
  if (!sites(c.env).get(site)) return unknownSite(c, site, "read");
  const env = c.env;
  return streamSSE(c, async (stream) => {
    const end = Date.now() + TAIL_STREAM_MS;
    let since = 0;
    let first = true;
    while (!stream.aborted && !stream.closed && Date.now() < end) {
      const hour = Math.floor(Date.now() / 3_600_000);
      const parts = await Promise.all([hour - 1, hour].map((h) => statsStub(env, site, h).latest(since, 50)));
      const rows = parts.flat().sort((a, b) => a.at - b.at || a.seq - b.seq);
      const fresh: TailEntry[] = rows.map((r) => r.entry).slice(-50);
      if (rows.length) since = Math.max(since, ...rows.map((r) => r.at));
      if (fresh.length || first) await stream.writeSSE({ event: "events", data: JSON.stringify(fresh) });
      first = false;
      await stream.sleep(TAIL_POLL_MS);
    }
  });
});
