/** One beacon from POST /v1/collect through the Durable Object, the real queue and consumer, to R2. */
import { describe, expect, it } from "vitest";
import { eventually } from "./eventually";
import { envelope, ev, get, pageView, post } from "./helpers";

async function lakeLines(prefix: string): Promise<any[]> {
  const list = (await (await get(`/v1/admin/lake?prefix=${encodeURIComponent(prefix)}`)).json()) as { key: string; size: number; uploaded: string }[];
  const out: any[] = [];
  for (const o of list) {
    const res = await get(`/v1/admin/lake/${o.key}`);
    expect(res.headers.get("content-type")).toContain("application/x-ndjson");
    out.push(...(await res.text()).trim().split("\n").filter(Boolean).map((l: string) => JSON.parse(l)));
  }
  return out;
}

describe("beacon to lake", () => {
  it("stores each accepted event exactly once, enriched, even when the beacon is posted twice", async () => {
    const events = [pageView(), ev("product_click", { product_id: "sku-1", category: "shoes", position: 3 }), ev("search", { query: "red boots" })];
    const body = envelope({ user_id: undefined }, events);
    const cf = { country: "GB", city: "London", colo: "LHR", asn: 2856, asOrganization: "BT", continent: "EU", timezone: "Europe/London" };
    expect((await post(body, { cf })).status).toBe(202);
    expect(await (await post(body, { cf })).json()).toEqual({ accepted: 0, duplicates: 3, rejected: [] });

    // The profile is readable at once.
    const profile = (await (await get(`/v1/profiles/demo/${body.anonymous_id}`)).json()) as any;
    expect(profile.counts).toMatchObject({ page_view: 1, product_click: 1, search: 1 });

    const ids = new Set(events.map((e) => e.id));
    const day = new Date().toISOString().slice(0, 10);
    const mine = await eventually(async () => {
      const lines = (await lakeLines(`events/site=demo/dt=${day}/`)).filter((l) => ids.has(l.id));
      return lines.length >= 3 ? lines : null;
    }, { what: "the three beacon events in the lake", ms: 20_000, every: 250 });
    // Give a wrong second delivery time to show up, then check there is none.
    await new Promise((r) => setTimeout(r, 1500));
    const again = (await lakeLines(`events/site=demo/dt=${day}/`)).filter((l) => ids.has(l.id));
    expect(again.map((l) => l.id).sort()).toEqual([...ids].sort());
    const click = mine.find((l) => l.type === "product_click");
    expect(click).toMatchObject({
      site: "demo", anonymous_id: body.anonymous_id, session_id: "s-1", props: { product_id: "sku-1", category: "shoes", position: 3 },
      page: { path: "/p/sku-1", referrer_host: "www.google.com", utm: { source: "news", campaign: "winter" }, campaign_params: { gclid: "abc" } },
      geo: { country: "GB", city: "London", colo: "LHR", asn: 2856, as_org: "BT" },
      ua: { browser: "Chrome", device_type: "desktop" }, bot: false,
    });
    for (const k of ["client_ts", "sent_at", "received_at", "ts"]) expect(Date.parse(click[k]), k).not.toBeNaN();
  });

  it("answers a lake read R2 would refuse with a 400 naming the field, not a 500", async () => {
    // Found by the route fuzz run in CI: a key over R2's 1,024 bytes made R2's get throw.
    for (const [path, field] of [[`/v1/admin/lake/events/${"a".repeat(2049)}`, "key"], [`/v1/admin/lake?prefix=${"a".repeat(1025)}`, "prefix"], ["/v1/admin/lake?limit=abc", "limit"], ["/v1/admin/lake?limit=0", "limit"]] as const) {
      const res = await get(path);
      expect(res.status, path.slice(0, 60)).toBe(400);
      expect(((await res.json()) as { details: { path: string }[] }).details.map((d) => d.path)).toEqual([field]);
    }
    expect((await get(`/v1/admin/lake/events/${"a".repeat(1017)}`)).status).toBe(404); // 1,024 bytes: a name R2 takes, no such object
  });
});
