/**
 * One structured log line per request, and the per-request metrics of ingest routes.
 *
 * The line holds the method, the route pattern (never the path or query), the site when a route
 * named it (`c.set("site", ...)`), the status, the latency, the declared bytes in and, for ingest
 * routes, the counts of the answer. Never headers, addresses, keys or payloads.
 */
import type { Context, MiddlewareHandler } from "hono";
import { log } from "../../durable-objects/lib/log";
import { classify, type Outcome } from "../metrics/classify";
import { isolateDelta, scheduleIsolateFlush } from "../metrics/isolate";
import { observe as observeMs } from "../metrics/sketch";
import { bump, type Tree } from "../../durable-objects/lib/metric-tree";

declare module "hono" {
  interface ContextVariableMap {
    /** The site a request is for, once a route knows it (metrics and logs). */
    site: string;
  }
}

/** Requests refused before any site was known are counted under this name. */
export const UNATTRIBUTED = "_unknown";

const INGEST = /^(\/beacon)?\/v1\/(collect|batch|track|page|screen|identify|alias|group|[tpiagsb])\/?$/;

export const requestLog: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  const started = Date.now();
  await next();
  const ms = Date.now() - started;
  const status = c.res.status;
  const site = c.get("site");
  const bytesIn = Number(c.req.header("content-length") ?? NaN);
  const ingest = c.req.method === "POST" && INGEST.test(c.req.path);
  let outcome: Outcome | undefined;
  if (ingest && (c.res.headers.get("content-type") ?? "").includes("json")) {
    try {
      // Routes hand their answer over (answers.ts); only an answer made elsewhere is read back.
      const body = c.get("answer") ?? (await c.res.clone().json());
      outcome = classify(status, body, c.get("reason"));
    } catch {
      outcome = classify(status, null, c.get("reason"));
    }
  }
  log("request", {
    method: c.req.method,
    route: c.req.routePath,
    site,
    status,
    ms,
    bytes_in: Number.isFinite(bytesIn) ? bytesIn : undefined,
    ...(outcome ? { accepted: outcome.accepted, duplicates: outcome.duplicates, rejected: outcome.rejected } : {}),
  });
  if (ingest) count(c, site ?? UNATTRIBUTED, started, status, ms, Number.isFinite(bytesIn) ? bytesIn : 0, outcome);
};

function count(c: Context<{ Bindings: Env }>, site: string, started: number, status: number, ms: number, bytes: number, outcome: Outcome | undefined): void {
  const row: Tree = isolateDelta().row(site, started);
  bump(row, ["requests"]);
  bump(row, ["bytes_in"], bytes);
  bump(row, ["status", `${Math.floor(status / 100)}xx`]);
  const sketch = (row.ingest_ms ??= {}) as Record<string, number>;
  observeMs(sketch, ms);
  for (const [reason, n] of Object.entries(outcome?.rejected ?? {})) bump(row, ["rejected", reason], n);
  let waitUntil: (p: Promise<unknown>) => void;
  try {
    const ctx = c.executionCtx;
    waitUntil = (p) => ctx.waitUntil(p);
  } catch {
    return; // no execution context (app.request in a unit test): the counts wait for the next request
  }
  scheduleIsolateFlush(c.env, waitUntil);
}
