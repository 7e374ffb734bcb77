/**
 * Least-privilege access (worker/access/): every route of the app's own route table against
 * every credential, asserted from the one table (worker/access/table.ts). Routes of the table
 * that the app does not have yet (recommendations, catalogue, lake operations) are walked on a
 * small Hono app that mounts `access(name)` alone, with the real bindings.
 */
import { env, exports } from "cloudflare:workers";
import { Hono } from "hono";
import { afterEach, describe, expect, it, vi } from "vitest";
import { access, accessPreflight, GUARDS, ROUTES, ruleFor, visitorDenied, type Credential, type RouteName, type RouteRule } from "../worker/access";
import { app } from "../worker/app";
import { signUserId } from "../worker/lib/identity";
import { uid } from "./helpers";

const basic = (key: string) => `Basic ${btoa(`${key}:`)}`;
const ORIGIN = "http://localhost:5173"; // an origin of site "demo"
const SECRET = "test-identity-secret-0123456789"; // SITE_SECRETS.secure.identity_secret in vitest.config.ts

/** The credentials walked: each as the headers a caller sends. */
const CREDENTIALS = {
  admin: { authorization: "Bearer test-admin-token" },
  read: { authorization: "Bearer test-read-key" }, // demo's read key
  "other-read": { authorization: "Bearer shop-read-key" }, // another site's read key
  server: { authorization: basic("test-server-key") }, // demo's server key, as the Segment API takes it
  browser: { authorization: basic("demo-browser-key"), origin: ORIGIN },
  visitor: { origin: ORIGIN }, // a page of the site, no key
  none: {},
} as const satisfies Record<string, Record<string, string>>;
type Caller = keyof typeof CREDENTIALS;
const CALLERS = Object.keys(CREDENTIALS) as Caller[];

/** What the table says a caller gets: through, 401, 403, or left to the route (keys in the body of the Segment API). */
type Outcome = "pass" | 401 | 403 | "route" | "url";
function outcome(rule: RouteRule, caller: Caller): Outcome {
  const takes = (c: Credential) => rule.allow !== "public" && rule.allow.includes(c);
  switch (caller) {
    case "other-read":
      return 403; // a key of another site, or of a kind the route does not take
    case "visitor":
      return takes("visitor") ? "pass" : rule.site === "key" ? "route" : rule.site === "url" ? "url" : 401;
    case "none":
      return rule.site === "key" ? "route" : rule.site === "url" ? "url" : 401;
    default:
      return takes(caller) ? "pass" : 403;
  }
}

// ---- the app's routes ----

type AppRoute = { method: string; path: string; guards: RouteName[] };
const appRoutes: AppRoute[] = (() => {
  const byRoute = new Map<string, AppRoute>();
  for (const r of app.routes) {
    if (r.method === "ALL") continue;
    const k = `${r.method} ${r.path}`;
    const entry = byRoute.get(k) ?? { method: r.method, path: r.path, guards: [] };
    const g = GUARDS.get(r.handler);
    if (g) entry.guards.push(g);
    byRoute.set(k, entry);
  }
  return [...byRoute.values()];
})();

/** Values for path parameters with a pattern: the first that fits is used. */
const SAMPLES = ["batch", "envelope.json", "events/x.ndjson.gz", `snippet.${"0".repeat(12)}.js`, `datalayer.${"0".repeat(12)}.js`, `extras.${"0".repeat(12)}.js`, `personalize.${"0".repeat(12)}.js`, "sku-1", "x", "b"];
function concrete(path: string, id: string): string {
  return path
    .replace(/:([A-Za-z_]+)(\{((?:[^{}]|\{[^{}]*\})*)\})?/g, (_m, name: string, _b, re: string | undefined) => {
      if (name === "site") return "demo";
      if (name === "id") return id;
      if (name === "writeKey") return "demo-browser-key";
      if (!re) return `x-${name}`;
      const hit = SAMPLES.find((s) => new RegExp(`^(?:${re})$`).test(s));
      if (!hit) throw new Error(`no sample value for :${name}{${re}} in ${path}: add one to SAMPLES in this test`);
      return hit;
    })
    .replace(/\*$/, "x");
}

function request(method: string, path: string, headers: Record<string, string>): Request {
  const body = method === "POST" || method === "PUT" ? "{}" : undefined;
  return new Request(`https://collector.test${path}`, { method, headers: { ...headers, ...(body ? { "content-type": "application/json" } : {}) }, body });
}

/** Status and (for JSON answers) body; streams are closed at once. */
async function answer(res: Response): Promise<{ status: number; body: any; challenge: string | null }> {
  const json = (res.headers.get("content-type") ?? "").includes("application/json");
  const body = json ? await res.json() : null;
  if (!json) await res.body?.cancel();
  return { status: res.status, body, challenge: res.headers.get("www-authenticate") };
}

function expectRefusal(a: { status: number; body: any; challenge: string | null }, status: 401 | 403, what: string) {
  expect(a.status, what).toBe(status);
  expect(a.body?.details?.[0]?.path, what).toBe("authorization");
  if (status === 401) expect(a.challenge, what).toBeTruthy();
}

describe("the app's route table and the access table", () => {
  it("declares every route of the app in the access table", () => {
    const missing = appRoutes.filter((r) => !ruleFor(r.method, r.path)).map((r) => `${r.method} ${r.path}`);
    expect(missing, "add these to worker/access/table.ts with the credentials they take").toEqual([]);
    // The walk below covers at least the routes that existed before the table.
    expect(appRoutes.map((r) => `${r.method} ${r.path}`)).toEqual(expect.arrayContaining(["GET /v1/profiles/:site/:id", "DELETE /v1/profiles/:site/:id", "GET /v1/admin/lake/:key{.+}", "GET /v1/admin/tail/:site", "POST /v1/:kind{batch|track|page|screen|identify|alias|group}"]));
  });

  it("guards every route that needs a credential with access() of its own row", () => {
    for (const r of appRoutes) {
      const found = ruleFor(r.method, r.path);
      if (!found) continue;
      const what = `${r.method} ${r.path}`;
      if (found.rule.allow === "public") expect(r.guards.filter((g) => g !== found.name), what).toEqual([]);
      else expect(r.guards, what).toEqual([found.name]);
    }
  });
});

describe.each(appRoutes.filter((r) => ruleFor(r.method, r.path)).map((r) => [`${r.method} ${r.path}`, r] as const))("%s", (_name, r) => {
  const { rule } = ruleFor(r.method, r.path)!;
  it.each(CALLERS)("as %s", async (caller) => {
    const path = concrete(r.path, uid("someone"));
    const a = await answer(await exports.default.fetch(request(r.method, path, CREDENTIALS[caller])));
    const want = outcome(rule, caller);
    if (rule.allow === "public") {
      // Public routes do not look at credentials: the same answer as without Authorization.
      const { authorization: _, ...rest } = CREDENTIALS[caller] as Record<string, string>;
      const bare = await answer(await exports.default.fetch(request(r.method, path, rest)));
      expect(a.status).toBe(bare.status);
      expect(a.status).not.toBe(401);
    } else if (want === "pass") {
      expect([401, 403], `${caller}: ${a.status} ${JSON.stringify(a.body)}`).not.toContain(a.status);
    } else if (want === "route") {
      expectRefusal(a, 401, caller); // the Segment API: no write key
    } else if (want === "url") {
      // The key is in the URL (the SDK settings): the route's own answer, a success or a refusal naming its field.
      expect(a.status, `${caller}: ${JSON.stringify(a.body)}`).toBeLessThan(500);
      if (a.status >= 400) expect(a.body?.details?.[0]?.path, caller).toMatch(/^(writeKey|origin)$/);
    } else {
      expectRefusal(a, want, caller);
    }
  });
});

// ---- every row of the table, on the middleware alone ----

const mini = new Hono<{ Bindings: Env }>();
for (const [name, rule] of Object.entries(ROUTES) as [RouteName, RouteRule][]) {
  if (rule.allow === "public") continue;
  for (const route of rule.routes) {
    const [method, path] = [route.slice(0, route.indexOf(" ")), route.slice(route.indexOf(" ") + 1)];
    mini.on(method, path, access(name), (c) => {
      const denied = visitorDenied(c, c.req.query("owner"));
      return denied ?? c.json({ route: name, principal: c.get("principal") ?? null });
    });
  }
}
mini.options("/v1/recommendations/:site/:id", accessPreflight("recommendations.read"));
const callMini = (method: string, path: string, headers: Record<string, string> = {}) => mini.request(request(method, path, headers), undefined, env);

const PRINCIPAL: Record<Exclude<Caller, "other-read" | "none">, (id: string) => unknown> = {
  admin: () => ({ kind: "admin", site: null, scope: "all" }),
  read: () => ({ kind: "read", site: "demo", scope: "site" }),
  server: () => ({ kind: "server", site: "demo", scope: "site" }),
  browser: () => ({ kind: "browser", site: "demo", scope: "site" }),
  visitor: (id) => ({ kind: "visitor", site: "demo", scope: { id, by: "anonymous_id" } }),
};

const rows = (Object.entries(ROUTES) as [RouteName, RouteRule][]).filter(([, r]) => r.allow !== "public").flatMap(([name, rule]) => rule.routes.map((route) => [route, name, rule] as const));

describe.each(rows)("access(%s) alone", (route, name, rule) => {
  const [method, pattern] = [route.slice(0, route.indexOf(" ")), route.slice(route.indexOf(" ") + 1)];
  it.each(CALLERS)("as %s", async (caller) => {
    const id = uid("anon");
    const a = await answer(await callMini(method, concrete(pattern, id), CREDENTIALS[caller]));
    const want = outcome(rule, caller);
    if (want === "pass") {
      expect(a.status, JSON.stringify(a.body)).toBe(200);
      expect(a.body).toEqual({ route: name, principal: PRINCIPAL[caller as keyof typeof PRINCIPAL](id) });
    } else if (want === "route" || want === "url") {
      expect(a.status).toBe(200);
      expect(a.body.principal).toBeNull(); // the route authenticates the key itself
    } else {
      expectRefusal(a, want, caller);
    }
  });
});

describe("keys", () => {
  it("takes every read key of a site (rotation), in either scheme; a write key stays a write key in either", async () => {
    const path = "/v1/profiles/demo/someone";
    for (const authorization of ["Bearer test-read-key", "Bearer test-read-key-2", basic("test-read-key-2")]) expect((await callMini("GET", path, { authorization })).status, authorization).toBe(200);
    for (const authorization of ["Bearer test-server-key", "Bearer demo-browser-key"]) expect((await callMini("GET", path, { authorization })).status, authorization).toBe(403);
  });

  it("answers 401 naming authorization for unknown or malformed credentials, as today", async () => {
    for (const authorization of ["Bearer wrong-token", "test-admin-token", basic("nobody"), "Basic !!!", "Bearer test-admin-tokenx", "Bearer test-admin-toke"]) {
      const a = await answer(await callMini("GET", "/v1/admin/lake", { authorization }));
      expectRefusal(a, 401, authorization);
      expect(a.challenge).toBe('Bearer realm="collector"');
    }
    expect((await answer(await callMini("POST", "/v1/catalog/demo"))).challenge).toBe('Bearer realm="collector", Basic realm="collector"');
  });

  it("scopes a read key to its site: 403 for another site's profiles, 401 never", async () => {
    const a = await answer(await callMini("GET", "/v1/profiles/shop/someone", { authorization: "Bearer test-read-key" }));
    expectRefusal(a, 403, "demo's key on shop");
    expect((await callMini("GET", "/v1/profiles/shop/someone", { authorization: "Bearer shop-read-key" })).status).toBe(200);
  });

  describe("never logged", () => {
    afterEach(() => vi.restoreAllMocks());
    it("leaves no key in any log line, allowed or refused", async () => {
      const lines: string[] = [];
      vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void lines.push(a.map(String).join(" ")));
      vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void lines.push(a.map(String).join(" ")));
      for (const caller of CALLERS) for (const path of ["/v1/profiles/demo/someone", "/v1/admin/lake", "/v1/admin/stats/demo"]) await answer(await exports.default.fetch(request("GET", path, CREDENTIALS[caller])));
      expect(lines.length).toBeGreaterThan(0);
      const text = lines.join("\n");
      for (const key of ["test-admin-token", "test-read-key", "shop-read-key", "test-server-key", "demo-browser-key", btoa("test-server-key:")]) expect(text).not.toContain(key);
    });
  });
});

describe("visitors (a page of the site, no key) on recommendations", () => {
  const recs = (site: string, id: string, headers: Record<string, string>, query = "") => callMini("GET", `/v1/recommendations/${site}/${encodeURIComponent(id)}${query}`, headers);

  it("read by anonymous id, with CORS for the page's origin", async () => {
    const res = await recs("demo", "anon-1", { origin: ORIGIN });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(((await res.json()) as any).principal).toEqual({ kind: "visitor", site: "demo", scope: { id: "anon-1", by: "anonymous_id" } });
  });

  it("read from a page of the collector's own origin (same-origin GETs and EventSource carry no Origin, only Sec-Fetch-Site)", async () => {
    const own = (base: string, sfs: string) => mini.request(new Request(`${base}/v1/recommendations/demo/anon-1`, { headers: { "sec-fetch-site": sfs } }), undefined, env);
    const ok = await own("http://127.0.0.1:8787", "same-origin"); // demo allows http://127.0.0.1:*
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as any).principal.kind).toBe("visitor");
    expect((await own("https://collector.test", "same-origin")).status).toBe(403); // not an origin of demo
    for (const sfs of ["cross-site", "same-site", "none"]) expect((await own("http://127.0.0.1:8787", sfs)).status, sfs).toBe(401);
  });

  it("read by user id only with a valid sig", async () => {
    const headers = { origin: "https://secure.example" };
    const ok = await recs("secure", "u-42", headers, `?sig=${await signUserId(SECRET, "u-42")}`);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as any).principal).toEqual({ kind: "visitor", site: "secure", scope: { id: "u-42", by: "user_id" } });
    for (const sig of [await signUserId(SECRET, "u-43"), await signUserId("another-secret-0123456789", "u-42"), "zz", ""]) {
      const bad = await recs("secure", "u-42", headers, `?sig=${sig}`);
      expect(bad.status, sig).toBe(403);
      expect(((await bad.json()) as any).details[0].path).toBe("sig");
      expect(bad.headers.get("access-control-allow-origin")).toBe("https://secure.example"); // the page can read why
    }
    // A site without identity_secret cannot verify any sig.
    const none = await recs("demo", "u-42", { origin: ORIGIN }, "?sig=" + "0".repeat(64));
    expect(none.status).toBe(403);
    expect(((await none.json()) as any).details[0].path).toBe("sig");
  });

  it("may not read a user's object by its id without sig (checked by the route after its read)", async () => {
    const denied = await recs("demo", "u-7", { origin: ORIGIN }, "?owner=u-7");
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as any).details[0].path).toBe("sig");
    expect((await recs("demo", "anon-7", { origin: ORIGIN }, "?owner=u-7")).status).toBe(200); // an anonymous id merged into u-7: still the visitor's own
    expect((await recs("demo", "u-7", { authorization: "Bearer test-read-key" }, "?owner=u-7")).status).toBe(200); // read keys are not visitors
  });

  it("are refused for origins the site does not allow, and for unknown sites", async () => {
    for (const origin of ["https://evil.example", "https://shop.example", "null"]) {
      const res = await recs("demo", "anon-1", { origin });
      expect(res.status, origin).toBe(403);
      expect(((await res.json()) as any).details[0].path).toBe("origin");
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
    }
    const unknown = await recs("nope", "anon-1", { origin: ORIGIN });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as any).details[0].path).toBe("site");
  });

  it("get no visitor rights on any other route", async () => {
    for (const path of ["/v1/profiles/demo/anon-1", "/v1/profiles/demo/anon-1/stream", "/v1/catalog/demo/sku-1"]) expectRefusal(await answer(await callMini("GET", path, { origin: ORIGIN })), 401, path);
  });

  it("are rate limited per IP like /v1/collect", async () => {
    const ip = "203.0.113.99";
    const statuses: number[] = [];
    for (let i = 0; i < 24; i++) statuses.push((await recs("demo", "anon-1", { origin: ORIGIN, "cf-connecting-ip": ip })).status);
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(200)); // IP_LIMITER: 20 per 60 s in vitest.config.ts
    expect(statuses.slice(20)).toEqual([429, 429, 429, 429]);
    const res = await recs("demo", "anon-1", { origin: ORIGIN, "cf-connecting-ip": ip });
    expect(res.headers.get("retry-after")).toBe("60");
    expect((await recs("demo", "anon-1", { origin: ORIGIN, "cf-connecting-ip": "203.0.113.100" })).status).toBe(200);
  });

  it("get a preflight for the site's origins only", async () => {
    const pre = (origin: string) => mini.request(new Request("https://collector.test/v1/recommendations/demo/anon-1", { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST" } }), undefined, env);
    const ok = await pre(ORIGIN);
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(ok.headers.get("access-control-allow-methods")).toBe("GET,POST,OPTIONS");
    expect((await pre("https://evil.example")).status).toBe(403);
  });
});
