/**
 * The demo shop's server side: the page (products from worker/demo/shop.ts, no key in it),
 * the seeding of simulated shoppers, and the profile panel's route, which reads with the
 * demo's read key on the server.
 */
import { describe, expect, it } from "vitest";
import { shopperEnvelopes } from "../worker/demo/shop";
import { envelope, ev, get, post, uid } from "./helpers";
import { eventually } from "./eventually";

const SECRETS = ["test-admin-token", "test-read-key", "test-read-key-2", "test-server-key", "test-server-key-2"];

describe("GET /demo", () => {
  it("serves the shop with its products and the versioned scripts, and no key of any kind", async () => {
    const r = await get("/demo", {});
    expect(r.status).toBe(200);
    const html = await r.text();
    expect(html).toContain('"id":"sku-24"');
    expect(html).not.toContain("/*PRODUCTS*/");
    for (const name of ["snippet", "extras", "personalize"]) expect(html).toMatch(new RegExp(`src="/${name}\\.[0-9a-f]{12}\\.js"`));
    expect(html).toContain('data-ec-recs="for-you"');
    for (const s of SECRETS) expect(html).not.toContain(s);
  });

  it("seeds the simulated shoppers once, as server-side events (their profiles appear)", async () => {
    await get("/demo/p/sku-3", {});
    const first = shopperEnvelopes("demo", Date.now())[0]!;
    const p = await eventually(async () => {
      const r = await get(`/v1/profiles/demo/${first.anonymous_id}`);
      return r.status === 200 && ((await r.json()) as { counts: Record<string, number> });
    }, { ms: 10_000, what: "a simulated shopper's profile" });
    expect(p.counts.product_view).toBe(first.events.filter((e) => (e as { type: string }).type === "product_view").length);
  });
});

describe("GET /demo/api/profile/:id (the panel's server-side route)", () => {
  it("reads the visitor's profile with the demo's read key, which the browser never sends", async () => {
    const anon = uid("anon");
    expect((await get(`/demo/api/profile/${anon}`, {})).status).toBe(404);
    expect((await post(envelope({ anonymous_id: anon }, [ev("product_view", { product_id: "sku-5", category: "bags" })]))).status).toBe(202);
    const r = await get(`/demo/api/profile/${anon}`, {});
    expect(r.status).toBe(200);
    expect(r.headers.get("cache-control")).toBe("no-store");
    const p = (await r.json()) as { id: string; recent_products: { product_id: string }[] };
    expect(p.id).toBe(anon);
    expect(p.recent_products[0]!.product_id).toBe("sku-5");
  });
});
