import { describe, expect, it } from "vitest";
import { challenges, decideKey, expected, missing, principalOf } from "./decide";
import { ROUTES } from "./table";

const read = { kind: "read", site: "a" } as const;

describe("deciding on a presented key", () => {
  it("lets the admin through everywhere it is allowed, whatever the site", () => {
    for (const r of [ROUTES["profiles.erase"], ROUTES["lake.read"], ROUTES["catalog.write"], ROUTES["recommendations.read"]]) expect(decideKey(r, { kind: "admin", site: null }, "zzz")).toBeNull();
  });

  it("scopes a read key to its own site", () => {
    expect(decideKey(ROUTES["profiles.read"], read, "a")).toBeNull();
    const other = decideKey(ROUTES["profiles.read"], read, "b");
    expect(other).toMatchObject({ status: 403, details: [{ path: "authorization" }] });
    expect(decideKey(ROUTES["profiles.read"], read, undefined)?.status).toBe(403);
  });

  it("answers 403 to a known key the route does not take, 401 to an unknown one", () => {
    expect(decideKey(ROUTES["profiles.export"], read, "a")).toMatchObject({ status: 403, error: "a read key may not export everything held about a person" });
    expect(decideKey(ROUTES["lake.read"], { kind: "server", site: "a" }, undefined)).toMatchObject({ status: 403, details: [{ path: "authorization", message: expect.stringContaining("write keys may only send events") }] });
    expect(decideKey(ROUTES["catalog.write"], { kind: "browser", site: "a" }, "a")?.status).toBe(403);
    expect(decideKey(ROUTES["catalog.write"], { kind: "server", site: "a" }, "a")).toBeNull();
    expect(decideKey(ROUTES["segment.write"], { kind: "admin", site: null }, undefined)?.status).toBe(403);
    expect(decideKey(ROUTES["segment.write"], { kind: "browser", site: "a" }, undefined)).toBeNull();
    expect(decideKey(ROUTES["profiles.read"], null, "a")).toMatchObject({ status: 401, error: "unknown key", details: [{ path: "authorization" }] });
  });

  it("says what the route takes, and which schemes", () => {
    expect(missing(ROUTES["lake.read"]).details[0]!.message).toBe("expected Authorization: Bearer <admin token>");
    expect(expected(ROUTES["catalog.write"])).toContain("HTTP Basic with a server key");
    expect(challenges(ROUTES["lake.read"])).toBe('Bearer realm="collector"');
    expect(challenges(ROUTES["catalog.write"])).toBe('Bearer realm="collector", Basic realm="collector"');
  });

  it("makes principals without keys in them", () => {
    expect(principalOf({ kind: "admin", site: null })).toEqual({ kind: "admin", site: null, scope: "all" });
    expect(principalOf(read)).toEqual({ kind: "read", site: "a", scope: "site" });
  });
});
