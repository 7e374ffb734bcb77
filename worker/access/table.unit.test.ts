import { describe, expect, it } from "vitest";
import { allows, ROUTES, ruleFor, type Credential, type RouteName, type RouteRule } from "./table";

const rules = Object.entries(ROUTES) as [RouteName, RouteRule][];
const SCOPED: Credential[] = ["read", "server", "browser", "visitor"];

describe("the access table", () => {
  it("declares each method and path once", () => {
    const all = rules.flatMap(([, r]) => r.routes);
    expect(new Set(all).size).toBe(all.length);
    for (const [name, r] of rules) for (const route of r.routes) expect(ruleFor(route.split(" ")[0]!, route.slice(route.indexOf(" ") + 1))?.name).toBe(name);
    expect(ruleFor("GET", "/v1/nothing")).toBeUndefined();
  });

  it("has the route names of the contract", () => {
    for (const n of ["profiles.read", "profiles.stream", "profiles.export", "profiles.erase", "lake.read", "stats.read", "tail.read", "recommendations.read", "catalog.write", "catalog.read"]) expect(ROUTES).toHaveProperty(n);
    expect(ROUTES["recommendations.read"].routes).toEqual(["GET /v1/recommendations/:site/:id", "POST /v1/recommendations/:site/:id", "GET /v1/recommendations/:site/:id/stream"]);
    expect(ROUTES["catalog.write"].routes).toEqual(["POST /v1/catalog/:site"]);
    expect(ROUTES["catalog.read"].routes).toEqual(["GET /v1/catalog/:site/:product_id"]);
  });

  it("gives the admin token every route that reads or operates", () => {
    for (const [name, r] of rules) if (r.allow !== "public" && name !== "segment.write" && name !== "sdk.config") expect(allows(r, "admin"), name).toBe(true);
  });

  it("lets read keys GET their site's profiles, profile streams, recommendations and catalogue, nothing else", () => {
    const readable = rules.filter(([, r]) => allows(r, "read")).map(([n]) => n).sort();
    expect(readable).toEqual(["catalog.read", "profiles.read", "profiles.stream", "recommendations.read"]);
    for (const n of readable) for (const route of ROUTES[n].routes) expect(route.startsWith("GET ") || route === "POST /v1/recommendations/:site/:id", route).toBe(true);
  });

  it("never lets write keys read, nor browser keys write the catalogue", () => {
    // Besides sending, a browser key only loads its SDK's settings (which hold the key and the collector's host).
    expect(rules.filter(([, r]) => allows(r, "browser")).map(([n]) => n)).toEqual(["segment.write", "sdk.config"]);
    expect(rules.filter(([, r]) => allows(r, "server")).map(([n]) => n).sort()).toEqual(["catalog.write", "segment.write"]);
  });

  it("lets keyless browsers read recommendations only", () => {
    expect(rules.filter(([, r]) => allows(r, "visitor")).map(([n]) => n)).toEqual(["recommendations.read"]);
    for (const route of ROUTES["recommendations.read"].routes) expect(route).toMatch(/\/:site\/:id(\/|$)/);
  });

  it("checks the site of every site-scoped credential", () => {
    for (const [name, r] of rules) {
      if (r.allow === "public" || !r.allow.some((c) => SCOPED.includes(c))) continue;
      expect(r.site, name).toBeDefined();
      if (r.site === "param") for (const route of r.routes) expect(route, name).toMatch(/\/:site(\/|$)/);
    }
  });
});
