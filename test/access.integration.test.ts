/** Every read and admin route, found from the app's own route table: 401 without the admin token, 403 for site keys. */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../worker/app";

const protectedRoutes = [...new Map(app.routes.filter((r) => r.method !== "ALL" && /^\/v1\/(profiles|admin)\//.test(r.path)).map((r) => [`${r.method} ${r.path}`, r])).values()];

function concrete(path: string): string {
  return path.replace(/:key\{[^}]*\}/g, "events/x.ndjson.gz").replace(/:site(\{[^}]*\})?/g, "demo").replace(/:[a-z_]+(\{[^}]*\})?/gi, "someone");
}

const call = (method: string, path: string, authorization?: string) =>
  exports.default.fetch(new Request(`https://collector.test${concrete(path)}`, { method, headers: authorization ? { authorization } : {} }));

describe("access to read and admin routes", () => {
  it("finds the protected routes in the app", () => {
    const names = protectedRoutes.map((r) => `${r.method} ${r.path}`);
    expect(names).toEqual(expect.arrayContaining(["GET /v1/profiles/:site/:id", "GET /v1/admin/lake", "GET /v1/admin/lake/:key{.+}"]));
  });

  it.each(protectedRoutes.map((r) => [r.method, r.path]))("%s %s answers 401 without or with a wrong token", async (method, path) => {
    for (const auth of [undefined, "Bearer wrong-token", "test-admin-token", `Basic ${btoa("nobody:")}`]) {
      const res = await call(method, path, auth);
      expect(res.status, `${auth}`).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain("Bearer");
      const body = (await res.json()) as { error: string; details: { path: string }[] };
      expect(body.details[0]!.path).toBe("authorization");
    }
  });

  it.each(protectedRoutes.map((r) => [r.method, r.path]))("%s %s answers 403 to a site's server or browser key", async (method, path) => {
    for (const auth of ["Bearer test-server-key", `Basic ${btoa("test-server-key:")}`, `Basic ${btoa("demo-browser-key:")}`]) {
      const res = await call(method, path, auth);
      expect(res.status, auth).toBe(403);
    }
  });

  it.each(protectedRoutes.map((r) => [r.method, r.path]))("%s %s lets the admin token through", async (method, path) => {
    const res = await call(method, path, "Bearer test-admin-token");
    expect([401, 403]).not.toContain(res.status);
  });
});
