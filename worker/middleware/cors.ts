/**
 * CORS for browser routes, through hono's `cors()` with an origin callback: only origins that
 * a configured site allows get `Access-Control-Allow-Origin`. A preflight carries no body, so
 * it is answered for origins that some site allows (`?site=` narrows it to one site); a
 * refused preflight is a 403 naming the origin. The route then checks the origin against the
 * site the request names and drops the header when that site does not allow it.
 */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { refuse } from "../answers";
import { sites } from "../sites";

export interface SiteCorsOptions {
  methods: string[];
  headers: string[];
  /** Preflight cache, seconds. */
  maxAge?: number;
}

export function siteCors(opts: SiteCorsOptions): MiddlewareHandler<{ Bindings: Env }> {
  const allowed = (origin: string, env: Env, site: string | undefined) => {
    const reg = sites(env);
    return site ? !!reg.get(site)?.allows(origin) : reg.anyAllows(origin);
  };
  const inner = cors({
    origin: (origin, c) => (origin && allowed(origin, c.env as Env, c.req.method === "OPTIONS" ? c.req.query("site") : undefined) ? origin : null),
    allowMethods: opts.methods,
    allowHeaders: opts.headers,
    maxAge: opts.maxAge ?? 86_400,
  });
  return async (c, next) => {
    const origin = c.req.header("origin");
    if (c.req.method === "OPTIONS" && !(origin && allowed(origin, c.env, c.req.query("site")))) {
      return refuse(c, 403, "origin_not_allowed", "origin not allowed", [{ path: "origin", message: `${(origin ?? "(none)").slice(0, 120)} is not an origin of ${c.req.query("site") ? "this site" : "any site"}` }]);
    }
    return inner(c, next);
  };
}

/** The request named a site that does not allow this origin: the browser may not read the answer. */
export function withdrawOrigin(c: Parameters<MiddlewareHandler>[0]): void {
  c.header("Access-Control-Allow-Origin", undefined);
}
