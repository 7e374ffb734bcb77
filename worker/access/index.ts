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
import type { Env } from "../env";
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

/** The answer for a refusal: `{"error","details":[{"path","message"}]}`, with a challenge on 401. */
export function deny(c: Context, rule: RouteRule, d: Denial): Response {
  if (d.status === 401) c.header("WWW-Authenticate", challenges(rule));
  return c.json({ error: d.error, details: d.details }, d.status);
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
      if (rule.site === "key") return next();
      return deny(c, rule, missing(rule));
    }
    if ("error" in presented) return rule.site === "key" ? next() : deny(c, rule, malformed(rule, presented.error));
    const owner = await lookup(await credentials(c.env), presented.key);
    // On the Segment API an unknown key is the route's to answer (in its own, Segment-style way).
    if (!owner && rule.site === "key") return next();
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
  return d ? c.json({ error: d.error, details: d.details }, d.status) : null;
}

/** OPTIONS for visitor routes: allowed for the origins of the path's site only. */
export function accessPreflight(name: RouteName): MiddlewareHandler<{ Bindings: Env }> {
  const rule: RouteRule = ROUTES[name];
  const methods = [...new Set(rule.routes.map((r) => r.split(" ")[0]!).filter((m) => m !== "OPTIONS"))];
  return async (c) => {
    const origin = c.req.header("origin");
    const site = sites(c.env).get(c.req.param("site") ?? "");
    if (!origin || !site?.allows(origin)) return c.json({ error: "origin not allowed", details: [{ path: "origin", message: "not an origin of this site" }] }, 403);
    allowOrigin(c, origin);
    c.header("Access-Control-Allow-Methods", [...methods, "OPTIONS"].join(", "));
    c.header("Access-Control-Allow-Headers", "Content-Type");
    c.header("Access-Control-Max-Age", "86400");
    return c.body(null, 204);
  };
}
