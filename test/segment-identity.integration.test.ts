/** The Segment-compatible API follows the site's identity policy: browser keys cannot assert user ids on a site that requires signed ids. */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { get, uid } from "./helpers";

const track = (key: string, body: Record<string, unknown>, origin?: string) =>
  exports.default.fetch(new Request("https://collector.test/v1/track", { method: "POST", headers: { "content-type": "application/json", authorization: `Basic ${btoa(`${key}:`)}`, ...(origin ? { origin } : {}) }, body: JSON.stringify({ type: "track", event: "Product Viewed", messageId: uid("m"), properties: { product_id: "sku-1" }, ...body }) }));

describe("Segment API and identity verification", () => {
  it("keeps a browser key's userId out of routing on a site that requires signed ids", async () => {
    const anon = uid("a");
    const user = uid("u");
    expect((await track("secure-browser-key", { anonymousId: anon, userId: user }, "https://secure.example")).status).toBe(200);
    expect((await get(`/v1/profiles/secure/${user}`)).status).toBe(404);
    const p = (await (await get(`/v1/profiles/secure/${anon}`)).json()) as { user_id: string | null; counts: Record<string, number> };
    expect(p.user_id).toBeNull();
    expect(p.counts.product_view).toBe(1);
  });

  it("trusts a server key's userId", async () => {
    const anon = uid("a");
    const user = uid("u");
    expect((await track("secure-server-key", { anonymousId: anon, userId: user })).status).toBe(200);
    const p = (await (await get(`/v1/profiles/secure/${user}`)).json()) as { user_id: string };
    expect(p.user_id).toBe(user);
  });
});
