/** POST /v1/catalog/:site and GET /v1/catalog/:site/:product_id in workerd. */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN, uid } from "./helpers";

const SERVER = { authorization: `Basic ${btoa("recs-server-key:")}` };
const READ = { authorization: "Bearer recs-read-key" };
const send = (body: string | unknown, headers: Record<string, string> = SERVER, site = "recs") =>
  exports.default.fetch(new Request(`https://collector.test/v1/catalog/${site}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) }));
const read = (id: string, headers: Record<string, string> = READ, site = "recs") => exports.default.fetch(new Request(`https://collector.test/v1/catalog/${site}/${encodeURIComponent(id)}`, { headers }));

describe("catalogue", () => {
  it("upserts valid items, rejects the others with paths, and reads one back", async () => {
    const a = uid("sku");
    const res = await send({
      items: [
        { product_id: a, title: "Blue shoe", url: "https://shop.example/p/a", image: "https://shop.example/a.jpg", price: 59.9, currency: "EUR", category: "shoes", brand: "Acme", available: true },
        { product_id: uid("sku"), price: -1, currency: "eur", colour: "blue" },
        { title: "no id" },
        "not an object",
      ],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { accepted: number; rejected: { index: number; product_id: string | null; errors: { path: string }[] }[] };
    expect(body.accepted).toBe(1);
    expect(body.rejected.map((r) => r.index)).toEqual([1, 2, 3]);
    expect(body.rejected[0]!.errors.map((e) => e.path).sort()).toEqual(["items[1].colour", "items[1].currency", "items[1].price"]);
    expect(body.rejected[1]!.errors.map((e) => e.path)).toEqual(["items[2].product_id"]);
    const got = await read(a);
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ product_id: a, title: "Blue shoe", price: 59.9, currency: "EUR", category: "shoes", brand: "Acme", available: true, updated_at: expect.any(String) });
    // An upsert changes only the fields it names.
    expect((await send({ items: [{ product_id: a, available: false, price: 49 }] }, ADMIN)).status).toBe(200);
    expect(await (await read(a, ADMIN)).json()).toMatchObject({ title: "Blue shoe", price: 49, available: false });
  });

  it("takes 1 to 1,000 items and at most 1 MB", async () => {
    const items = Array.from({ length: 1000 }, (_, i) => ({ product_id: `bulk-${i}`, title: "x" }));
    const ok = await send({ items });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { accepted: number }).accepted).toBeGreaterThan(0);
    const tooMany = await send({ items: [...items, { product_id: "one-more" }] });
    expect(tooMany.status).toBe(400);
    expect(((await tooMany.json()) as { details: { path: string }[] }).details[0]!.path).toBe("items");
    expect((await send({ items: [] })).status).toBe(400);
    const big = JSON.stringify({ items: [{ product_id: "big", title: "x".repeat(1024 * 1024) }] });
    expect((await send(big)).status).toBe(413);
    expect((await send("{not json")).status).toBe(400);
  });

  it("needs the site's server key or the admin token to write, a read key or the admin token to read", async () => {
    const item = { items: [{ product_id: uid("sku") }] };
    expect((await send(item, {})).status).toBe(401);
    for (const authorization of [`Basic ${btoa("shop-server-key:")}`, `Basic ${btoa("shop-browser-key:")}`, "Bearer recs-read-key"]) {
      expect((await send(item, { authorization })).status, authorization).toBe(403);
    }
    expect((await send(item, ADMIN, "nosuchsite")).status).toBe(403);
    expect((await read("x", {})).status).toBe(401);
    expect((await read("x", SERVER)).status).toBe(403);
    expect((await read("x", { authorization: "Bearer shop-read-key" })).status).toBe(403);
    const missing = await read(uid("never"));
    expect(missing.status).toBe(404);
    expect((await read("x", ADMIN, "nosuchsite")).status).toBe(404);
    expect((await read("x".repeat(129))).status).toBe(400);
  });
});
