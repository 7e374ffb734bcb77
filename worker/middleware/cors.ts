/**
 * CORS for the browser endpoint: only a site's allowed origins. A preflight carries no body,
 * so it is answered for origins that some site allows; the POST is then checked against the
 * site it names (see routes/collect.ts).
 */
import type { Context, MiddlewareHandler } from "hono";
import { sites } from "../sites";

export function allowOrigin(c: Context, origin: string): void {
  c.header("Access-Control-Allow-Origin", origin);
  c.header("Access-Control-Allow-Credentials", "false");
  c.header("Vary", "Origin");
}

export const collectPreflight: MiddlewareHandler<{ Bindings: Env }> = async (c) => {
  const origin = c.req.header("origin");
  const site = c.req.query("site");
  const reg = sites(c.env);
  const ok = origin && (site ? reg.get(site)?.allows(origin) : reg.anyAllows(origin));
  if (!ok) return c.json({ error: "origin not allowed" }, 403);
  allowOrigin(c, origin);
  c.header("Access-Control-Allow-Methods", "POST, OPTIONS");
  c.header("Access-Control-Allow-Headers", "Content-Type");
  c.header("Access-Control-Max-Age", "86400");
  return c.body(null, 204);
};
