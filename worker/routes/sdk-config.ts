/**
 * What the unmodified browser SDKs load before sending (lib/sdk-settings.ts):
 *   GET /v1/projects/:writeKey/settings   Segment analytics.js (`cdnURL` = the collector)
 *   GET /sourceConfig/?writeKey=<key>     RudderStack v3 (`configUrl` = the collector; the key
 *                                         also comes as HTTP Basic auth, which must agree)
 * Only a site's browser key, from one of the site's origins: unknown key 401, server key 403
 * (a secret must never be in a page), other origins 403; JSON errors name the field. Answers
 * are cacheable by the browser for SETTINGS_MAX_AGE_S; errors are not cached.
 */
import { Hono, type Context } from "hono";
import type { Env } from "../env";
import { matchKey, writeKeyOf } from "../lib/keys";
import { allowedRequestHeaders } from "../lib/sdk-cors";
import { collectorAddress, rudderSourceConfig, segmentSettings, SETTINGS_MAX_AGE_S } from "../lib/sdk-settings";
import { allowOrigin } from "../middleware/cors";
import { limitByIp, tooMany } from "../middleware/rate-limit";
import { siteKeys, sites } from "../sites";

export const sdkConfig = new Hono<{ Bindings: Env }>();

type C = Context<{ Bindings: Env }>;

const refuse = (c: C, status: 400 | 401 | 403, error: string, path: string, message: string) => {
  c.header("Cache-Control", "no-store");
  return c.json({ error, details: [{ path, message }] }, status);
};

const preflight = (c: C) => {
  const origin = c.req.header("origin");
  if (!origin || !sites(c.env).anyAllows(origin)) return c.json({ error: "origin not allowed", details: [{ path: "origin", message: "no site allows this origin" }] }, 403);
  allowOrigin(c, origin);
  c.header("Access-Control-Allow-Methods", "GET, OPTIONS");
  c.header("Access-Control-Allow-Headers", allowedRequestHeaders(c.req.header("access-control-request-headers")));
  c.header("Access-Control-Max-Age", "86400");
  return c.body(null, 204);
};

/** The site of a browser key used from one of its origins, or the refusal. */
async function browserSite(c: C, key: string, keyPath: string): Promise<{ site: string } | Response> {
  const origin = c.req.header("origin") ?? null;
  if (origin && sites(c.env).anyAllows(origin)) allowOrigin(c, origin);
  const byIp = await limitByIp(c.env, c.req.raw);
  if (byIp) return tooMany(c, byIp);
  const match = await matchKey(await siteKeys(c.env), key);
  if (!match) {
    c.header("WWW-Authenticate", 'Basic realm="collector"');
    return refuse(c, 401, "unknown write key", keyPath, "no site has this write key");
  }
  c.set("site", match.site); // for the request log
  if (match.kind === "server") return refuse(c, 403, "server key", keyPath, "this is a secret server key: pages must use the site's browser key");
  if (!origin) return refuse(c, 403, "a browser key is only accepted from the site's origins", "origin", "missing Origin header");
  if (!sites(c.env).get(match.site)?.allows(origin)) {
    c.header("Access-Control-Allow-Origin", undefined);
    return refuse(c, 403, "origin not allowed", "origin", `${origin.slice(0, 120)} may not use the browser key of site ${match.site}`);
  }
  return { site: match.site };
}

const cacheable = (c: C) => {
  c.header("Cache-Control", `private, max-age=${SETTINGS_MAX_AGE_S}`);
  c.header("Vary", "Origin, Authorization");
};

const SEGMENT = "/v1/projects/:writeKey/settings";
sdkConfig.options(SEGMENT, preflight);
sdkConfig.get(SEGMENT, async (c) => {
  const key = c.req.param("writeKey");
  const who = await browserSite(c, key, "writeKey");
  if (who instanceof Response) return who;
  cacheable(c);
  return c.json(segmentSettings(key, collectorAddress(c.req.url)));
});

const rudder = async (c: C) => {
  const query = c.req.query("writeKey");
  const auth = c.req.header("authorization");
  const wk = writeKeyOf(auth, query);
  if ("error" in wk) return refuse(c, 401, wk.error, auth ? "authorization" : "writeKey", auth ? wk.error : "expected ?writeKey=<browser key> or HTTP Basic auth");
  if (wk.from === "authorization" && query !== undefined && query !== wk.key) return refuse(c, 400, "two different write keys", "writeKey", "the query's writeKey and the Basic auth user name differ");
  const who = await browserSite(c, wk.key, wk.from === "authorization" ? "authorization" : "writeKey");
  if (who instanceof Response) return who;
  cacheable(c);
  return c.json(rudderSourceConfig(wk.key, who.site));
};
for (const path of ["/sourceConfig", "/sourceConfig/"]) {
  sdkConfig.options(path, preflight);
  sdkConfig.get(path, rudder);
}
