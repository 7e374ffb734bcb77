/** POST /v1/collect against the real worker in workerd: answers, CORS, limits, partial acceptance, dedup. */
import { describe, expect, it } from "vitest";
import { envelope, ev, get, pageView, post, uid } from "./helpers";

const json = async (r: Response) => (await r.json()) as any;

describe("POST /v1/collect", () => {
  it("accepts text/plain and application/json bodies", async () => {
    for (const type of ["text/plain;charset=UTF-8", "application/json"]) {
      const body = envelope();
      const res = await post(body, { headers: { "content-type": type } });
      expect(res.status, type).toBe(202);
      expect(await json(res)).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    }
  });

  it("answers 400 to a body that is not JSON, and to an empty body", async () => {
    const res = await post(null, { raw: "{not json" });
    expect(res.status).toBe(400);
    expect(await json(res)).toMatchObject({ error: expect.stringContaining("not JSON"), details: [{ path: "(body)" }] });
    expect((await post(null, { raw: "" })).status).toBe(400);
  });

  it("answers 415 to form and multipart bodies", async () => {
    const res = await post(envelope(), { headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(res.status).toBe(415);
  });

  it("answers 400 naming every failing envelope field", async () => {
    const res = await post({ site: "demo", anonymous_id: "", sent_at: "soon", events: [], extra: 1 });
    expect(res.status).toBe(400);
    const b = await json(res);
    expect(b.error).toBe("invalid envelope");
    expect([...new Set(b.details.map((d: any) => d.path))].sort()).toEqual(["anonymous_id", "events", "extra", "sent_at"]);
    const many = await post(envelope({}, Array.from({ length: 101 }, () => pageView())));
    expect(many.status).toBe(400);
    expect((await json(many)).details[0].path).toBe("events");
  });

  it("answers 403 to an unknown site", async () => {
    const res = await post(envelope({ site: "nope" }));
    expect(res.status).toBe(403);
    expect(await json(res)).toMatchObject({ error: "unknown site", details: [{ path: "site" }] });
  });

  it("answers 413 over 64 KiB, by Content-Length and while streaming", async () => {
    const big = envelope({}, [ev("custom", { name: "x", properties: { blob: "y".repeat(1000) } })]);
    (big as any).pad = "z".repeat(70_000);
    const res = await post(big);
    expect(res.status).toBe(413);
    // No Content-Length: a stream that goes past the limit.
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 70; i++) c.enqueue(new TextEncoder().encode("x".repeat(1024)));
        c.close();
      },
    });
    const { exports } = await import("cloudflare:workers");
    const r2 = await exports.default.fetch(new Request("https://collector.test/v1/collect", { method: "POST", body: stream, headers: { "content-type": "text/plain" } }));
    expect(r2.status).toBe(413);
    // Exactly at the limit is fine (then rejected for other reasons, not size).
    const body = JSON.stringify(envelope());
    const padded = body.slice(0, -1) + "," + JSON.stringify("p") + ":" + JSON.stringify("q".repeat(65536 - body.length - 7)) + "}";
    expect(new TextEncoder().encode(padded).length).toBe(65536);
    expect((await post(null, { raw: padded })).status).toBe(400);
  });

  it("accepts the valid events of a mixed batch and reports the others by index, id, path and message", async () => {
    const good1 = pageView();
    const bad = ev("product_click", { category: "shoes" });
    const good2 = ev("product_click", { product_id: "sku-1", category: "shoes", position: 3 });
    const worse = ev("purchase", { order_id: "o", revenue: -1, currency: "EUR", items: [] });
    const res = await post(envelope({}, [good1, bad, good2, worse]));
    expect(res.status).toBe(202);
    const b = await json(res);
    expect(b.accepted).toBe(2);
    expect(b.duplicates).toBe(0);
    expect(b.rejected).toEqual([
      { index: 1, id: bad.id, errors: [{ path: "props.product_id", message: expect.any(String) }] },
      { index: 3, id: worse.id, errors: expect.arrayContaining([{ path: "props.revenue", message: expect.any(String) }, { path: "props.items", message: expect.any(String) }]) },
    ]);
  });

  it("answers 400 when no event in the batch is valid, with each event's errors", async () => {
    const res = await post(envelope({}, [ev("search", {})]));
    expect(res.status).toBe(400);
    const b = await json(res);
    expect(b).toMatchObject({ error: "no valid events", accepted: 0, details: [{ path: "events[0].props.query" }] });
  });

  it("deduplicates by event id within a beacon and across retries", async () => {
    const a = pageView();
    const body = envelope({}, [a, a, pageView()]);
    expect(await json(await post(body))).toEqual({ accepted: 2, duplicates: 1, rejected: [] });
    expect(await json(await post(body))).toEqual({ accepted: 0, duplicates: 3, rejected: [] });
    const p = await json(await get(`/v1/profiles/demo/${body.anonymous_id}`));
    expect(p.counts.page_view).toBe(2);
  });

  it("keys the profile by user_id when present, else anonymous_id", async () => {
    const user = uid("user");
    const body = envelope({ user_id: user }, [ev("product_view", { product_id: "sku-9", category: "hats" })]);
    expect((await post(body)).status).toBe(202);
    const p = await json(await get(`/v1/profiles/demo/${user}`));
    expect(p).toMatchObject({ id: user, user_id: user, anonymous_ids: [body.anonymous_id], counts: { product_view: 1 } });
    expect(p.recent_products[0]).toMatchObject({ product_id: "sku-9", category: "hats", action: "view" });
  });

  it("enriches geo from request.cf and the user agent, and never stores the IP", async () => {
    const body = envelope();
    const res = await post(body, { cf: { country: "DE", city: "Berlin", colo: "TXL", asn: 3320, asOrganization: "DTAG", latitude: "52.5", longitude: "13.4" }, headers: { "cf-connecting-ip": "203.0.113.9", "x-forwarded-for": "203.0.113.9" } });
    expect(res.status).toBe(202);
    const p = await json(await get(`/v1/profiles/demo/${body.anonymous_id}`));
    expect(p.last_geo).toMatchObject({ country: "DE", city: "Berlin", colo: "TXL", asn: 3320, as_org: "DTAG", latitude: 52.5 });
    expect(p.last_device).toMatchObject({ browser: "Chrome", device_type: "desktop" });
    expect(JSON.stringify(p)).not.toContain("203.0.113.9");
  });
});

describe("CORS", () => {
  const preflight = (origin: string, q = "") =>
    post(null, { raw: "" }).then(() =>
      import("cloudflare:workers").then(({ exports }) =>
        exports.default.fetch(new Request(`https://collector.test/v1/collect${q}`, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" } })),
      ),
    );

  it("answers the preflight for a site's allowed origin", async () => {
    const res = await preflight("http://localhost:5173");
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("content-type");
    expect(res.headers.get("vary")).toContain("Origin");
  });

  it("refuses the preflight for other origins, or for another site's origin when ?site= is given", async () => {
    expect((await preflight("https://evil.example")).status).toBe(403);
    expect((await preflight("https://www.shop.example", "?site=demo")).status).toBe(403);
    expect((await preflight("https://www.shop.example", "?site=shop")).status).toBe(204);
  });

  it("allows the POST only from the named site's origins", async () => {
    const ok = await post(envelope(), { headers: { origin: "http://127.0.0.1:3000" } });
    expect(ok.status).toBe(202);
    expect(ok.headers.get("access-control-allow-origin")).toBe("http://127.0.0.1:3000");

    const wrongSite = await post(envelope(), { headers: { origin: "https://shop.example" } });
    expect(wrongSite.status).toBe(403);
    expect(wrongSite.headers.get("access-control-allow-origin")).toBeNull();
    expect(await json(wrongSite)).toMatchObject({ error: "origin not allowed", details: [{ path: "origin" }] });

    const evil = await post(envelope(), { headers: { origin: "https://evil.example" } });
    expect(evil.status).toBe(403);
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();

    const shop = await post(envelope({ site: "shop" }), { headers: { origin: "https://m.shop.example" } });
    expect(shop.status).toBe(202);
  });
});

describe("reading routes need the admin token", () => {
  it("answers 401 without or with a wrong token", async () => {
    for (const path of ["/v1/profiles/demo/x", "/v1/admin/lake?prefix=events/", "/v1/admin/lake/events/x.ndjson.gz"]) {
      const none = await get(path, {});
      expect(none.status, path).toBe(401);
      expect(none.headers.get("www-authenticate")).toContain("Bearer");
      expect((await get(path, { authorization: "Bearer wrong" })).status, path).toBe(401);
      expect((await get(path, { authorization: "test-admin-token" })).status, path).toBe(401);
    }
  });
  it("answers 404 for unknown profiles and sites", async () => {
    expect((await get("/v1/profiles/demo/never-seen")).status).toBe(404);
    expect((await get("/v1/profiles/nope/x")).status).toBe(404);
  });
});
