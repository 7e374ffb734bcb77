/**
 * What the unmodified browser SDKs load before sending (lib/sdk-settings.ts):
 *   GET /v1/projects/:writeKey/settings   Segment analytics.js (`cdnURL` = the collector)
 *   GET /sourceConfig/?writeKey=<key>     RudderStack v3 (`configUrl` = the collector; the key
 *                                         also comes as HTTP Basic auth, which must agree)
 * Only a site's browser key, from one of the site's origins: unknown key 401, server key 403
 * (a secret must never be in a page), other origins 403; JSON errors name the field. Answers
 * are cacheable by the browser for SETTINGS_MAX_AGE_S; errors are not cached. The key is in
 * the URL, so the route authenticates it itself (access table: site "url").
 */
import { Hono, type Context } from "hono";
import { access } from "../access";
import { refuse } from "../answers";
import { matchKey, writeKeyOf } from "../lib/keys";
import { SDK_REQUEST_HEADERS } from "../lib/sdk-cors";
import { collectorAddress, rudderSourceConfig, segmentSettings, SETTINGS_MAX_AGE_S } from "../lib/sdk-settings";
import { siteCors, withdrawOrigin } from "../middleware/cors";
import { limitByIp, tooMany } from "../middleware/rate-limit";
import { siteKeys, sites } from "../sites";

export const sdkConfig = new Hono<{ Bindings: Env }>();

type C = Context<{ Bindings: Env }>;

const fail = (c: C, status: 400 | 401 | 403, error: string, path: string, message: string) => {
  c.header("Cache-Control", "no-store");
  if (status === 401) c.header("WWW-Authenticate", 'Basic realm="collector"');
  return refuse(c, status, status === 401 ? "unauthorized" : status === 403 ? (path === "origin" ? "origin_not_allowed" : "forbidden") : "bad_request", error, [{ path, message }]);
};

/** The site of a browser key used from one of its origins, or the refusal. */
async function browserSite(c: C, key: string, keyPath: string): Promise<{ site: string } | Response> {
  const byIp = await limitByIp(c.env, c.req.raw);
  if (byIp) return tooMany(c, byIp);
  const match = await matchKey(await siteKeys(c.env), key);
  if (!match) return fail(c, 401, "unknown write key", keyPath, "no site has this write key");
  c.set("site", match.site); // for the request log
  if (match.kind === "server") return fail(c, 403, "server key", keyPath, "this is a secret server key: pages must use the site's browser key");
  const origin = c.req.header("origin");
  if (!origin) return fail(c, 403, "a browser key is only accepted from the site's origins", "origin", "missing Origin header");
  if (!sites(c.env).get(match.site)?.allows(origin)) {
    withdrawOrigin(c);
    return fail(c, 403, "origin not allowed", "origin", `${origin.slice(0, 120)} may not use the browser key of site ${match.site}`);
  }
  return { site: match.site };
}

const cacheable = (c: C) => {
  c.header("Cache-Control", `private, max-age=${SETTINGS_MAX_AGE_S}`);
  c.header("Vary", "Authorization", { append: true });
};

const cors = siteCors({ methods: ["GET", "OPTIONS"], headers: [...SDK_REQUEST_HEADERS] });

const SEGMENT = "/v1/projects/:writeKey/settings";
sdkConfig.use(SEGMENT, cors);
sdkConfig.get(SEGMENT, access("sdk.config"), async (c) => {
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
  if ("error" in wk) return fail(c, 401, wk.error, auth ? "authorization" : "writeKey", auth ? wk.error : "expected ?writeKey=<browser key> or HTTP Basic auth");
  if (wk.from === "authorization" && query !== undefined && query !== wk.key) return fail(c, 400, "two different write keys", "writeKey", "the query's writeKey and the Basic auth user name differ");
  const who = await browserSite(c, wk.key, wk.from === "authorization" ? "authorization" : "writeKey");
  if (who instanceof Response) return who;
  cacheable(c);
  return c.json(rudderSourceConfig(wk.key, who.site));
};
for (const path of ["/sourceConfig", "/sourceConfig/"]) {
  sdkConfig.use(path, cors);
  sdkConfig.get(path, access("sdk.config"), rudder);
}
