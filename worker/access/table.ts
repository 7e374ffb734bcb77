/**
 * Who may call what: one row per route of the app (method + Hono path pattern, exactly as the
 * app's route table spells it) and the credentials it takes. Routes use `access(name)` from
 * ./index.ts; test/access.integration.test.ts walks every route of the app against this table,
 * and fails for a route that is not in it.
 *
 * Credentials (docs/SECURITY.md, "Roles"):
 * - admin:   `Authorization: Bearer <ADMIN_TOKEN>`: every route that reads or operates.
 * - read:    `Authorization: Bearer <SITE_SECRETS[site].read_keys[i]>`: GET that site's
 *            profiles, profile streams, recommendations and catalogue; nothing else.
 * - server:  a site server key (`SITE_SECRETS[site].server_keys`, HTTP Basic user): sends
 *            events, writes the catalogue; never reads.
 * - browser: the site's public browser key (`SITES[site].browser_key`): sends events only.
 * - visitor: no key, an `Origin` the site allows: the recommendations of its own visitor only.
 * "public" routes take no credential (the route itself checks sites and origins). CORS
 * preflights of /v1/collect and the Segment API are answered by `use()` middleware
 * (middleware/cors.ts), not by routes of their own.
 */

export type Credential = "admin" | "read" | "server" | "browser" | "visitor";
export type Method = "GET" | "POST" | "PUT" | "DELETE" | "OPTIONS";

export interface RouteRule {
  /** "METHOD /path/pattern" as in `app.routes` (Hono patterns: `:param`, `:param{regex}`, `*`). */
  routes: readonly `${Method} /${string}`[];
  /** Who may call it; "public": no credential needed, the route answers everyone. */
  allow: readonly Credential[] | "public";
  /**
   * Where a site-scoped credential's site is checked: "param" (the `:site` of the path must be
   * the key's site) or "key" (the key names the site, as on the Segment API, whose route
   * authenticates a key from the body too; this middleware only refuses the credentials that
   * are known and not allowed), or "url" (the key is in the path or query, as in the browser
   * SDKs' settings documents: the route authenticates it; this middleware refuses known
   * credentials in Authorization that the route does not take). Admin is never site-scoped.
   */
  site?: "param" | "key" | "url";
  /** What the route does, for error messages ("may not <does>"). */
  does: string;
}

export const ROUTES = {
  // Public: sending events from browsers and serving public files.
  home: { routes: ["GET /"], allow: "public", does: "describe the collector" },
  collect: { routes: ["POST /v1/collect"], allow: "public", does: "send events (the site and origin are checked by the route)" },
  schemas: { routes: ["GET /v1/schemas", "GET /v1/schemas/:name{.+\\.json}"], allow: "public", does: "read the JSON Schemas" },
  snippet: {
    routes: [
      "GET /snippet.js",
      "GET /:file{snippet\\.[0-9a-f]{12}\\.js}",
      "GET /datalayer.js",
      "GET /:file{datalayer\\.[0-9a-f]{12}\\.js}",
      "GET /extras.js",
      "GET /:file{extras\\.[0-9a-f]{12}\\.js}",
      "GET /personalize.js",
      "GET /:file{personalize\\.[0-9a-f]{12}\\.js}",
    ],
    allow: "public",
    does: "load the browser snippet and its add-ons",
  },
  "demo.page": { routes: ["GET /demo/*"], allow: "public", does: "show the demo shop" },
  // The demo's own backend route: it reads with the demo's read key, server-side (never in the page).
  "demo.profile": { routes: ["GET /demo/api/profile/:id"], allow: "public", does: "show the demo's profile panel" },
  "dashboard.page": { routes: ["GET /admin"], allow: "public", does: "load the dashboard page (its data needs the admin token)" },

  // Segment-compatible writes: a site's write key, never a reading credential.
  "segment.write": {
    // analytics.js's short paths (/v1/t ...) and RudderStack's beacon transport (/beacon/v1/batch) too.
    routes: ["POST /v1/:kind{batch|track|page|screen|identify|alias|group}", "POST /v1/:kind{[btpsiag]}", "POST /beacon/v1/:kind{batch|track|page|screen|identify|alias|group}", "POST /beacon/v1/:kind{[btpsiag]}"],
    allow: ["server", "browser"],
    site: "key",
    does: "send events with a write key",
  },
  // The browser SDKs' settings (routes/sdk-config.ts): the site's browser key in the URL, from its origins.
  "sdk.config": { routes: ["GET /v1/projects/:writeKey/settings", "GET /sourceConfig", "GET /sourceConfig/"], allow: ["browser"], site: "url", does: "load the browser SDKs' settings" },
  // analytics.js's own telemetry: no key; counted, rate limited per IP (routes/sdk-metrics.ts).
  "sdk.metrics": { routes: ["POST /v1/m"], allow: "public", does: "send analytics.js metrics" },

  // Profiles: read keys read, only the admin exports and erases.
  "profiles.read": { routes: ["GET /v1/profiles/:site/:id"], allow: ["admin", "read"], site: "param", does: "read profiles" },
  "profiles.stream": { routes: ["GET /v1/profiles/:site/:id/stream"], allow: ["admin", "read"], site: "param", does: "subscribe to profiles" },
  "profiles.export": { routes: ["GET /v1/profiles/:site/:id/export"], allow: ["admin"], does: "export everything held about a person" },
  "profiles.erase": { routes: ["DELETE /v1/profiles/:site/:id"], allow: ["admin"], does: "erase a person" },

  // Recommendations: read keys server-side, and each browser for its own visitor.
  "recommendations.read": {
    routes: ["GET /v1/recommendations/:site/:id", "POST /v1/recommendations/:site/:id", "GET /v1/recommendations/:site/:id/stream"],
    allow: ["admin", "read", "visitor"],
    site: "param",
    does: "read recommendations",
  },
  "recommendations.preflight": { routes: ["OPTIONS /v1/recommendations/:site/:id"], allow: "public", does: "preflight a visitor's recommendations (allowed origins only)" },

  // Catalogue: the site's backend writes it; reading it back is a read.
  "catalog.write": { routes: ["POST /v1/catalog/:site"], allow: ["admin", "server"], site: "param", does: "write the catalogue" },
  "catalog.read": { routes: ["GET /v1/catalog/:site/:product_id"], allow: ["admin", "read"], site: "param", does: "read the catalogue" },

  // Operators only.
  "lake.read": { routes: ["GET /v1/admin/lake", "GET /v1/admin/lake/:key{.+}"], allow: ["admin"], does: "read the lake" },
  "lake.write": { routes: ["POST /v1/admin/lake/purge", "POST /v1/admin/lake/compact", "POST /v1/admin/lake/replay"], allow: ["admin"], does: "purge, compact or replay into the lake" },
  "stats.read": { routes: ["GET /v1/admin/stats", "GET /v1/admin/stats/:site"], allow: ["admin"], does: "read the metrics" },
  "tail.read": { routes: ["GET /v1/admin/tail/:site"], allow: ["admin"], does: "tail the stored events" },
} as const satisfies Record<string, RouteRule>;

export type RouteName = keyof typeof ROUTES;

export function ruleOf(name: RouteName): RouteRule {
  return ROUTES[name];
}

export function allows(rule: RouteRule, who: Credential): boolean {
  return rule.allow !== "public" && rule.allow.includes(who);
}

/** The rule for a route of the app ("GET", "/v1/profiles/:site/:id"), or undefined when it is not declared. */
export function ruleFor(method: string, path: string): { name: RouteName; rule: RouteRule } | undefined {
  const route = `${method} ${path}`;
  for (const [name, rule] of Object.entries(ROUTES) as [RouteName, RouteRule][]) if ((rule.routes as readonly string[]).includes(route)) return { name, rule };
  return undefined;
}
