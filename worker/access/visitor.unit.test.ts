import { describe, expect, it } from "vitest";
import { decideVisitor, visitorReadDenied, visitorView, type VisitorFacts } from "./visitor";

const ok: VisitorFacts = { site: "a", id: "anon-1", siteKnown: true, originAllowed: true, sig: "absent" };

describe("visitors", () => {
  it("read by anonymous id without sig, by user id with a valid sig", () => {
    expect(decideVisitor(ok)).toEqual({ kind: "visitor", site: "a", scope: { id: "anon-1", by: "anonymous_id" } });
    expect(decideVisitor({ ...ok, id: "u-1", sig: "valid" })).toEqual({ kind: "visitor", site: "a", scope: { id: "u-1", by: "user_id" } });
  });

  it("are refused for an unknown site, a foreign origin, or a sig that does not check", () => {
    expect(decideVisitor({ ...ok, siteKnown: false })).toMatchObject({ status: 404, details: [{ path: "site" }] });
    expect(decideVisitor({ ...ok, originAllowed: false })).toMatchObject({ status: 403, details: [{ path: "origin" }] });
    expect(decideVisitor({ ...ok, sig: "invalid" })).toMatchObject({ status: 403, details: [{ path: "sig" }] });
    expect(decideVisitor({ ...ok, sig: "no-secret" })).toMatchObject({ status: 403, details: [{ path: "sig" }] });
  });

  it("may not read a user's object by its id without sig", () => {
    const anon = { kind: "visitor", site: "a", scope: { id: "u-1", by: "anonymous_id" } } as const;
    expect(visitorReadDenied(anon, "u-1")).toMatchObject({ status: 403, details: [{ path: "sig" }] });
    // An anonymous id's object (merged into its user, or not yet) is the visitor's own.
    expect(visitorReadDenied({ ...anon, scope: { id: "anon-1", by: "anonymous_id" } }, "u-1")).toBeNull();
    expect(visitorReadDenied(anon, null)).toBeNull();
    expect(visitorReadDenied({ ...anon, scope: { id: "u-1", by: "user_id" } }, "u-1")).toBeNull();
    expect(visitorReadDenied({ kind: "read", site: "a", scope: "site" }, "u-1")).toBeNull();
  });

  it("see recommendations and catalogue fields, never profile fields", () => {
    const full = {
      site: "a", id: "anon-1", strategy: "personal", generated_at: "2026-12-01T00:00:00Z",
      profile: { recent_searches: [{ query: "secret" }] }, geo: { city: "Leeds" }, cart: { items: [{ product_id: "sku-9" }] },
      items: [{ product_id: "sku-1", score: 0.9, reasons: ["viewed together with sku-2", 7], title: "Shoe", price: 10, currency: "EUR", available: true, affinity: 3, user_id: "u-1" }, null],
    };
    expect(visitorView(full)).toEqual({
      site: "a", id: "anon-1", strategy: "personal", generated_at: "2026-12-01T00:00:00Z",
      items: [{ product_id: "sku-1", score: 0.9, reasons: ["viewed together with sku-2"], title: "Shoe", price: 10, currency: "EUR", available: true }],
    });
    expect(visitorView({})).toEqual({ items: [] });
  });
});
