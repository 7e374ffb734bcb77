/**
 * GET /v1/recommendations/:site/:id/stream in workerd, through the real worker, queue consumer
 * and objects: the same body as GET first, a frame when the person's own event changes the
 * list (within 1 s), none when it does not, the stream following the user after sign-in, and
 * who may open it (read key; a page of the site for its own visitor, cut to the visitor view).
 */
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { eventually } from "./eventually";
import { envelope, ev, post, uid } from "./helpers";
import { openSse, type Received } from "./subscribe";

/** Tests that assert a latency: one retry, as a stall of this shared 2-core machine (another test file's load) can slow one attempt; a latency that is over the bound every time still fails. */
const TIMED = { retry: 1 };

const SITE = "recs";
const READ = { authorization: "Bearer recs-read-key" };
const run = uid("s");
const p = (name: string) => `${name}-${run}`;
type Answer = { site: string; id: string; strategy: string; generated_at: string; items: { product_id: string; reasons: string[]; [k: string]: unknown }[] };
const body = (r: Received) => r.frame as unknown as Answer;
const ids = (a: Answer) => a.items.map((i) => i.product_id);
const stream = (id: string, query = "", headers: Record<string, string> = READ, site = SITE) => openSse(`/v1/recommendations/${site}/${encodeURIComponent(id)}/stream${query}`, headers);
const view = (anon: string, product: string, extra: Record<string, unknown> = {}) => post(envelope({ site: SITE, anonymous_id: anon, session_id: uid("s"), ...extra }, [ev("product_view", { product_id: product, category: "shoes" })]));

/** One visitor's session: product views in order, 1 s apart, the last one now. */
async function browse(products: string[]) {
  const t0 = Date.now() - (products.length - 1) * 1000;
  const events = products.map((id, i) => ev("product_view", { product_id: id, category: "shoes" }, { ts: new Date(t0 + i * 1000).toISOString() }));
  expect((await post(envelope({ site: SITE, anonymous_id: uid("v"), session_id: uid("s") }, events))).status).toBe(202);
}

describe("GET /v1/recommendations/:site/:id/stream", () => {
  beforeAll(async () => {
    // Other visitors: shoe-1 with sock-1, bag-1 with strap-1 (co-visits, trending).
    for (let i = 0; i < 3; i++) await browse([p("shoe-1"), p("sock-1")]);
    for (let i = 0; i < 3; i++) await browse([p("bag-1"), p("strap-1")]);
    await eventually(async () => {
      const r = await exports.default.fetch(new Request(`https://collector.test/v1/recommendations/${SITE}/${uid("x")}?context=${p("bag-1")}`, { headers: READ }));
      return ((await r.json()) as Answer).items.some((i) => i.product_id === p("strap-1"));
    }, { what: "the site-wide statistics of the other visitors", ms: 15_000, every: 200 });
  });

  it("starts with the same body as GET, then sends a frame within 1 s of each own event that changes the list, and none otherwise", TIMED, async () => {
    const anon = uid("anon");
    const sse = await stream(anon, "?limit=5");
    expect(sse.status).toBe(200);
    expect(sse.contentType).toContain("text/event-stream");
    const first = body(await sse.waitFor(() => true));
    const get = (await (await exports.default.fetch(new Request(`https://collector.test/v1/recommendations/${SITE}/${anon}?limit=5`, { headers: READ }))).json()) as Answer;
    expect({ ...first, generated_at: "" }).toEqual({ ...get, generated_at: "" });
    expect(first.strategy).toBe("trending");

    let t0 = Date.now();
    expect((await view(anon, p("shoe-1"))).status).toBe(202);
    const a = await sse.waitFor((f) => (f as unknown as Answer).strategy === "personalized");
    expect(a.at - t0).toBeLessThan(1000);
    expect(ids(body(a))[0]).toBe(p("sock-1"));

    t0 = Date.now();
    expect((await view(anon, p("bag-1"))).status).toBe(202);
    const b = await sse.waitFor((f) => ids(f as unknown as Answer)[0] === p("strap-1"));
    expect(b.at - t0).toBeLessThan(1000);

    // The same product again: the profile changes, the list does not: no frame.
    const n = sse.frames.length;
    expect((await view(anon, p("bag-1"))).status).toBe(202);
    await new Promise((r) => setTimeout(r, 500));
    expect(sse.frames).toHaveLength(n);
    sse.close();
  });

  it("follows the user after a merge on sign-in: the user's events from another device still change it", TIMED, async () => {
    const anon = uid("anon");
    const user = uid("u");
    expect((await view(anon, p("shoe-1"))).status).toBe(202);
    const sse = await stream(anon);
    expect(ids(body(await sse.waitFor(() => true)))[0]).toBe(p("sock-1"));
    // Sign-in in this browser: the anonymous profile is merged into the user's.
    expect((await view(anon, p("sock-1"), { user_id: user })).status).toBe(202);
    // The user on another device (another anonymous id): only the user's object hears it.
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    expect((await view(uid("anon"), p("bag-1"), { user_id: user })).status).toBe(202);
    const f = await sse.waitFor((x) => ids(x as unknown as Answer)[0] === p("strap-1"), 5000);
    expect(f.at - t0).toBeLessThan(1000);
    sse.close();
  });

  it("is a visitor's own read from the site's pages, without profile fields; 401, 403 and 404 otherwise", async () => {
    const anon = uid("anon");
    await post(envelope({ site: "demo", anonymous_id: anon }, [ev("product_view", { product_id: "sku-1", category: "shoes" })]));
    const page = await stream(anon, "", { origin: "http://localhost:5173" }, "demo");
    expect(page.status).toBe(200);
    const f = body(await page.waitFor(() => true));
    expect(Object.keys(f).sort()).toEqual(["generated_at", "id", "items", "site", "strategy"]);
    page.close();
    // Through a same-origin EventSource: no Origin, Sec-Fetch-Site.
    expect((await openSse(`/v1/recommendations/demo/${anon}/stream`, { "sec-fetch-site": "cross-site" })).status).toBe(401);
    expect((await stream(anon, "", { origin: "https://evil.example" }, "demo")).status).toBe(403);
    expect((await stream(anon, "", {}, "demo")).status).toBe(401);
    // A user id without sig: 403 naming sig.
    const user = uid("u");
    await post(envelope({ site: "demo", anonymous_id: uid("anon"), user_id: user }, [ev("product_view", { product_id: "sku-2" })]));
    const byUser = await exports.default.fetch(new Request(`https://collector.test/v1/recommendations/demo/${user}/stream`, { headers: { origin: "http://localhost:5173" } }));
    expect(byUser.status).toBe(403);
    expect(((await byUser.json()) as { details: { path: string }[] }).details[0]!.path).toBe("sig");
    // Bad input names the parameter; an unknown site is 404.
    const bad = await exports.default.fetch(new Request(`https://collector.test/v1/recommendations/${SITE}/${anon}/stream?limit=0`, { headers: READ }));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { details: { path: string }[] }).details[0]!.path).toBe("limit");
    expect((await stream(anon, "", { authorization: "Bearer test-admin-token" }, "nope")).status).toBe(404);
    // Another site's read key, a server key: 403.
    expect((await stream(anon, "", { authorization: "Bearer test-read-key" })).status).toBe(403);
  });
});
