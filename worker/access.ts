/**
 * Who may call the personalization routes (minimal version; the full route x credential table
 * is being written on another branch and replaces this file, keeping `access(route)`).
 *   recommendations.read, catalog.read: the admin token, or one of the site's read keys (Bearer)
 *   catalog.write: the admin token, or one of the site's server keys (HTTP Basic user name)
 * No credential: 401. A credential that does not grant the route for `:site`: 403.
 * Keys are compared in constant time (SHA-256, then timingSafeEqual) and never logged.
 */
import type { MiddlewareHandler } from "hono";
import type { Env } from "./env";
import { matchKey, writeKeyOf } from "./lib/keys";
import { siteKeys, siteSecrets } from "./sites";

export type Route = "recommendations.read" | "catalog.write" | "catalog.read";

const enc = new TextEncoder();
const sha256 = (s: string) => crypto.subtle.digest("SHA-256", enc.encode(s));
/** Digests of configured secrets (admin token, read keys), once per isolate. */
const known = new Map<string, Promise<ArrayBuffer>>();
const digestOf = (secret: string) => {
  let d = known.get(secret);
  if (!d) {
    if (known.size > 1000) known.clear();
    known.set(secret, (d = sha256(secret)));
  }
  return d;
};

/** True when `given` equals one of `keys`; every key is compared (same-length digests, timingSafeEqual). */
async function oneOf(given: string, keys: readonly string[]): Promise<boolean> {
  const g = await sha256(given);
  let found = false;
  for (const k of keys) if (crypto.subtle.timingSafeEqual(g, await digestOf(k))) found = true;
  return found;
}

export function access(route: Route): MiddlewareHandler<{ Bindings: Env }> {
  return async (c, next) => {
    const site = c.req.param("site") ?? "";
    const header = c.req.header("authorization") ?? "";
    const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    const basic = /^Basic\s/i.test(header) ? writeKeyOf(header, undefined) : null;
    const basicKey = basic && "key" in basic ? basic.key : null;
    const given = bearer ?? basicKey;
    if (!given) {
      c.header("WWW-Authenticate", route === "catalog.write" ? 'Basic realm="collector"' : 'Bearer realm="collector"');
      const expected = route === "catalog.write" ? "HTTP Basic with the site's server key as user name, or Bearer <admin token>" : "Authorization: Bearer <read key or admin token>";
      return c.json({ error: "missing credentials", details: [{ path: "authorization", message: `expected ${expected}` }] }, 401);
    }
    const admin = c.env.ADMIN_TOKEN;
    if (admin && (await oneOf(given, [admin]))) return next();
    if (route === "catalog.write") {
      const key = basicKey ? await matchKey(await siteKeys(c.env), basicKey) : null;
      if (key && key.kind === "server" && key.site === site) return next();
    } else if (bearer && (await oneOf(bearer, siteSecrets(c.env).get(site)?.read_keys ?? []))) {
      return next();
    }
    const needs = route === "catalog.write" ? `a server key of site ${site.slice(0, 64)}` : `a read key of site ${site.slice(0, 64)}`;
    return c.json({ error: "forbidden", details: [{ path: "authorization", message: `this route needs ${needs} or the admin token` }] }, 403);
  };
}
