/**
 * Least-privilege access: `access(name)` is the middleware of the route `name` of ./table.ts.
 *
 *   profiles.get("/:site/:id", access("profiles.read"), handler)
 *
 * It finds who is calling (a key in Authorization, or a keyless browser on visitor routes),
 * answers 401 (no or unknown credential, naming `authorization`), 403 (a known credential the
 * route does not take, or another site's key) or 404 (a visitor for an unknown site), else sets
 * `c.get("principal")` and goes on. Keys are compared in constant time (./credentials.ts) and
 * never logged; visitors are rate limited per IP like /v1/collect.
 */
import type { Context, MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { refuse, unknownSite, type Reason } from "../answers";
import { verifyUserId } from "../lib/identity";
import { limitByIp, tooMany } from "../middleware/rate-limit";
import { siteSecrets, sites } from "../sites";
import { buildCredentialTable, lookup, presentedKey, type CredentialTable } from "./credentials";
import { challenges, decideKey, malformed, missing, principalOf, type Denial, type Principal } from "./decide";
import { allows, ROUTES, type RouteName, type RouteRule } from "./table";
import { decideVisitor, visitorReadDenied, type SigCheck } from "./visitor";

export { ROUTES, ruleFor, type Credential, type RouteName, type RouteRule } from "./table";
export type { Denial, Principal } from "./decide";
export { visitorView } from "./visitor";

declare module "hono" {
  interface ContextVariableMap {
    /** Who called, once `access()` let the request through (never the key itself). */
    principal: Principal;
  }
}

/** CORS for a visitor's answers: only the origin the site allows, never credentials. */
function allowOrigin(c: Context, origin: string): void {
  c.header("Access-Control-Allow-Origin", origin);
  c.header("Vary", "Origin");
}

let cached: { raw: string; table: Promise<CredentialTable> } | undefined;

/** Every configured key, hashed once per isolate (and again when the configuration changes). */
export function credentials(env: Env): Promise<CredentialTable> {
  const raw = `${env.ADMIN_TOKEN ?? ""}\u0000${env.SITES ?? ""}\u0000${env.SITE_SECRETS ?? ""}`;
  if (cached?.raw === raw) return cached.table;
  const reg = sites(env);
  const secrets = siteSecrets(env);
  const ids = Object.keys(JSON.parse(env.SITES ?? "{}") as Record<string, unknown>);
  const table = buildCredentialTable({
    admin_token: env.ADMIN_TOKEN,
    sites: ids.map((site) => ({ site, browser_key: reg.get(site)?.browser_key, server_keys: secrets.get(site)?.server_keys, read_keys: secrets.get(site)?.read_keys })),
  });
  cached = { raw, table };
  return table;
}

const REASON: Record<Denial["status"], Reason> = { 401: "unauthorized", 403: "forbidden", 404: "unknown_site" };

/** The answer for a refusal: `{"error","details":[{"path","message"}]}` (answers.ts), with a challenge on 401. */
export function deny(c: Context, rule: RouteRule, d: Denial): Response {
  if (d.status === 401) c.header("WWW-Authenticate", challenges(rule));
  if (d.status === 404) return unknownSite(c, c.req.param("site") ?? "", "read");
  const reason: Reason = d.details[0]?.path === "origin" ? "origin_not_allowed" : REASON[d.status];
  return refuse(c, d.status, reason, d.error, d.details);
}

/** The routes an `access()` middleware guards, for the test that checks every route uses the right one. */
export const GUARDS = new WeakMap<object, RouteName>();

export function access(name: RouteName): MiddlewareHandler<{ Bindings: Env }> {
  const rule: RouteRule = ROUTES[name];
  const mw: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
    if (rule.allow === "public") return next();
    const presented = presentedKey(c.req.header("authorization"));
    if (presented === null) {
      const origin = pageOrigin(c);
      if (origin !== undefined && allows(rule, "visitor")) return visitor(c, rule, origin, next);
      // The Segment API also takes a key in the body: its route authenticates that itself.
      if (rule.site === "key" || rule.site === "url") return next();
      return deny(c, rule, missing(rule));
    }
    if ("error" in presented) return rule.site === "key" || rule.site === "url" ? next() : deny(c, rule, malformed(rule, presented.error));
    const owner = await lookup(await credentials(c.env), presented.key);
    // On the Segment API an unknown key is the route's to answer (in its own, Segment-style way).
    if (!owner && (rule.site === "key" || rule.site === "url")) return next();
    const denial = decideKey(rule, owner, c.req.param("site"));
    if (denial) return deny(c, rule, denial);
    c.set("principal", principalOf(owner!));
    return next();
  };
  GUARDS.set(mw, name);
  return mw;
}

/**
 * The origin of the page that made the request: its Origin header, else the collector's own
 * origin for a same-origin request (browsers send same-origin GETs and EventSource without
 * Origin, but with `Sec-Fetch-Site: same-origin`, which pages cannot set either).
 */
function pageOrigin(c: Context): string | undefined {
  const origin = c.req.header("origin");
  if (origin !== undefined) return origin;
  return c.req.header("sec-fetch-site") === "same-origin" ? new URL(c.req.url).origin : undefined;
}

async function visitor(c: Context<{ Bindings: Env }>, rule: RouteRule, origin: string, next: () => Promise<void>) {
  const byIp = await limitByIp(c.env, c.req.raw);
  if (byIp) return tooMany(c, byIp);
  const siteId = c.req.param("site") ?? "";
  const id = c.req.param("id") ?? "";
  const site = sites(c.env).get(siteId);
  const originAllowed = !!site?.allows(origin);
  // Error answers too are readable by the page, so it can tell what went wrong.
  if (originAllowed) allowOrigin(c, origin);
  let sig: SigCheck = "absent";
  const given = c.req.query("sig");
  if (site && originAllowed && given !== undefined) {
    const secret = siteSecrets(c.env).get(siteId)?.identity_secret;
    sig = !secret ? "no-secret" : (await verifyUserId(secret, id, given)) ? "valid" : "invalid";
  }
  const out = decideVisitor({ site: siteId, id, siteKnown: !!site, originAllowed, sig });
  if ("status" in out) return deny(c, rule, out);
  c.set("principal", out);
  return next();
}

/**
 * For routes that take visitors, after reading the person's object: 403 when a visitor who came
 * by anonymous id asks for an object of a user id (that needs `sig`). Null: go on.
 */
export function visitorDenied(c: Context, profileUserId: string | null | undefined): Response | null {
  const d = visitorReadDenied(c.get("principal"), profileUserId);
  return d ? refuse(c, d.status, "forbidden", d.error, d.details) : null;
}

/**
 * OPTIONS for visitor routes (a POST with a JSON body is preflighted), through hono's cors():
 * answered for the origins of the path's site only, else 403 naming the origin.
 */
export function accessPreflight(name: RouteName): MiddlewareHandler<{ Bindings: Env }> {
  const rule: RouteRule = ROUTES[name];
  const methods = [...new Set(rule.routes.map((r) => r.split(" ")[0]!).filter((m) => m !== "OPTIONS")), "OPTIONS"];
  const siteAllows = (c: Context<{ Bindings: Env }>, origin: string | undefined) => !!origin && !!sites(c.env).get(c.req.param("site") ?? "")?.allows(origin);
  const inner = cors({ origin: (origin, c) => (siteAllows(c, origin) ? origin : null), allowMethods: methods, allowHeaders: ["Content-Type"], maxAge: 86_400 });
  return async (c, next) => {
    if (!siteAllows(c, c.req.header("origin"))) return refuse(c, 403, "origin_not_allowed", "origin not allowed", [{ path: "origin", message: "not an origin of this site" }]);
    return inner(c, next);
  };
}
